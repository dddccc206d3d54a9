import Audit
import BuildInfo
import Crypto
import Foundation
import JSON
import Pipeline
import TopologyYAML
import Yams

/// The topology's `audit:` section: how often the audit log cuts entries and signs checkpoints.
struct AuditSection: Decodable, Equatable {
    /// Input records per partition between entries.
    var every: Int = 500
    /// Entries between signed checkpoints (the shutdown entry always carries one).
    var checkpointInterval: Int = 10
    /// `false` writes no audit log (benchmarks); outputs still carry their lineage.
    var enabled: Bool = true

    enum CodingKeys: String, CodingKey {
        case every
        case checkpointInterval = "checkpoint_interval"
        case enabled
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        every = try container.decodeIfPresent(Int.self, forKey: .every) ?? every
        checkpointInterval = try container.decodeIfPresent(Int.self, forKey: .checkpointInterval) ?? checkpointInterval
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        guard every >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .every, in: container,
                debugDescription: "audit.every is \(every); it must be at least 1 (default 500)")
        }
        guard checkpointInterval >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .checkpointInterval, in: container,
                debugDescription:
                    "audit.checkpoint_interval is \(checkpointInterval); it must be at least 1 (default 10)")
        }
    }
}

extension Topology {
    /// The release outputs name in `stewardversion`: the version only, never the commit, so a
    /// rebuild at another commit publishes the same bytes.
    public static var stewardVersion: String { String(cString: steward_version()) }

    /// SHA-256 (hex) of `canonicalJSON`.
    public var canonicalSHA256: String { Hex.encode(SHA256.hash(data: canonicalJSON)) }

    /// The validated topology as canonical JSON: every field the runtime uses, each engine section
    /// in declaration order as its YAML data (mapping keys sorted, scalars resolved), so comments,
    /// layout, key order and quoting do not change the hash, and any change of meaning does.
    public var canonicalJSON: [UInt8] {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let input: JSONValue = .object([
            ("topics", strings(self.input.topics)),
            ("max_message_bytes", .number(String(self.input.maxMessageBytes))),
            ("required_fields", strings(self.input.requiredFields)),
            (
                "field_types",
                .array(
                    self.input.fieldTypes.map {
                        .object([("field", .string($0.field)), ("type", .string($0.type.rawValue))])
                    })
            ),
            ("event_time", self.input.eventTimeField.map(JSONValue.string) ?? .null),
            ("subject", self.input.subjectField.map(JSONValue.string) ?? .null),
        ])
        let output: JSONValue = .object([
            ("sanitized", .string(self.output.sanitized)), ("dlq", .string(self.output.deadLetter)),
            ("aggregates", .string(self.output.aggregates)), ("alerts", .string(self.output.alerts)),
            ("audit", .string(self.output.audit)),
        ])
        let engineSections: [JSONValue] = sections.map { section in
            let content = (section.content as? SectionNode).map { Self.canonical($0.node) } ?? .null
            return .object([("key", .string(section.key)), ("value", content)])
        }
        return JSONWriter.encode(
            .object([
                ("name", .string(name)), ("description", .string(description)), ("input", input), ("output", output),
                ("delivery", .string(delivery.rawValue)), ("sections", .array(engineSections)),
            ]))
    }

    /// A YAML node as JSON data: mappings with keys in byte order, scalars by their resolved type.
    static func canonical(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            let members = mapping.map { (key: Self.canonicalKey($0.key), value: Self.canonical($0.value)) }
            return .object(members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) })
        case .sequence(let sequence):
            return .array(sequence.map(Self.canonical))
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case .float:
                guard let value = node.float else { return .string(scalar.string) }
                return value.isFinite ? .number("\(value)") : .string("\(value)")
            default: return .string(scalar.string)
            }
        case .alias:
            return .null
        }
    }

    static func canonicalKey(_ node: Node) -> String {
        if case .scalar(let scalar) = node { return scalar.string }
        return String(decoding: JSONWriter.encode(canonical(node)), as: UTF8.self)
    }

    /// The lineage attributes of this topology's outputs.
    func lineage(modelSHA256: String?, redactionKeyID: String?) -> Lineage {
        var policyID: String?
        if let redaction = sections.first(where: { $0.key == "redaction" }),
            let node = redaction.content as? SectionNode
        {
            let policyHash = Hex.encode(SHA256.hash(data: JSONWriter.encode(Self.canonical(node.node))))
            policyID = "\(policyHash)/\(redactionKeyID ?? "none")"
        }
        return Lineage(
            topologySHA256: canonicalSHA256, modelSHA256: modelSHA256, policyID: policyID,
            stewardVersion: Self.stewardVersion)
    }

    static func auditSection(_ topology: Topology) throws -> AuditSection {
        guard let section = topology.sections.first(where: { $0.key == "audit" }) else { return AuditSection() }
        return try decode(AuditSection.self, section)
    }

    /// The audit log as the topology configures it, signing with the key from the environment
    /// (`STEWARD_AUDIT_KEY` / `STEWARD_AUDIT_KEY_FILE`), if one is set; nil when disabled.
    func auditRecorder(environment: EngineEnvironment) throws -> AuditRecorder? {
        let section = try Self.auditSection(self)
        guard section.enabled else { return nil }
        let key = try AuditSigningKey.load(environment: environment.variables, readFile: environment.readFile)
        return AuditRecorder(
            configuration: AuditConfiguration(
                every: section.every, checkpointInterval: section.checkpointInterval, origin: "steward/\(name)"),
            signingKey: key)
    }
}

extension FairnessStage: PrivacyBudgetReporting {
    /// The privacy guarantee of the DP releases made so far; nil in raw mode.
    public var privacySpent: JSONValue? {
        (release as? PrivateRelease)?.spent
    }
}
