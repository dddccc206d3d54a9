import Fairness
import Privacy
import Redaction
import Scoring
import Yams

/// What building engines needs from outside the pure core: where relative paths start, the
/// environment (secrets such as redaction keys come only from here, never from the topology),
/// and a way to read files.
public struct EngineEnvironment: Sendable {
    public var baseDirectory: String
    public var variables: [String: String]
    public var readFile: @Sendable (String) throws -> [UInt8]

    public init(baseDirectory: String, variables: [String: String], readFile: @escaping @Sendable (String) throws -> [UInt8]) {
        self.baseDirectory = baseDirectory
        self.variables = variables
        self.readFile = readFile
    }
}

extension Topology {
    /// Checks every engine section without needing secrets; problems are reported at the section.
    public func validateEngines(file: String) throws(TopologyErrors) {
        var issues: [TopologyIssue] = []
        for section in sections {
            do {
                switch section.key {
                case "redaction": _ = try Self.redactionPolicy(section)
                case "scoring":
                    let config = try Self.decode(ScoringConfig.self, section)
                    _ = try ScoringModel.load(config: config, baseDirectory: Self.directory(of: file))
                case "fairness":
                    let config = try Self.fairnessConfig(section)
                    if config.mode == .private && !sections.contains(where: { $0.key == "privacy" }) {
                        throw EngineConfigurationError(
                            "fairness mode 'private' needs a privacy: section (or mode: raw for trusted internal use)")
                    }
                    if input.eventTimeField == nil {
                        throw EngineConfigurationError("the fairness stage needs input.event_time")
                    }
                    if config.mode == .private, let privacy = sections.first(where: { $0.key == "privacy" }) {
                        try Self.checkPrivacyCovers(config, privacy: try Self.privacyConfiguration(privacy))
                    }
                case "privacy":
                    let privacy = try Self.privacyConfiguration(section)
                    try privacy.validate()
                    guard sections.contains(where: { $0.key == "fairness" }) else {
                        throw EngineConfigurationError("privacy: releases the fairness stage's counts; add a fairness: section")
                    }
                default: break
                }
            } catch let error as EngineConfigurationError {
                issues.append(
                    TopologyIssue(
                        file: file, line: error.line ?? section.line, column: error.column ?? section.column,
                        message: "\(section.key): \(error)"))
            } catch {
                issues.append(
                    TopologyIssue(file: file, line: section.line, column: section.column, message: "\(section.key): \(error)"))
            }
        }
        if !issues.isEmpty { throw TopologyErrors(issues: issues) }
    }

    /// Builds the processor with every configured engine.
    public func makeProcessor(file: String, environment: EngineEnvironment) throws -> Processor {
        try validateEngines(file: file)
        var stages: [any RecordStage] = []
        var streamStages: [any StreamStage] = []
        for section in sections {
            switch section.key {
            case "redaction":
                let policy = try Self.redactionPolicy(section)
                let keys = try RedactionKeys.load(environment: environment.variables, readFile: environment.readFile)
                stages.append(RedactionStage(redactor: try Redactor(policy: policy, keys: keys)))
            case "scoring":
                let config = try Self.decode(ScoringConfig.self, section)
                let model = try ScoringModel.load(config: config, baseDirectory: environment.baseDirectory)
                stages.append(ScoringStage(model: model, explain: config.explain))
            case "fairness":
                let config = try Self.fairnessConfig(section)
                let release: FairnessStage.CountRelease
                if config.mode == .private, let privacySection = sections.first(where: { $0.key == "privacy" }) {
                    let engine = try PrivacyEngine(
                        configuration: try Self.privacyConfiguration(privacySection),
                        key: try NoiseKey.load(environment: environment.variables))
                    release = PrivateRelease(engine: engine, topologyName: name)
                } else {
                    release = FairnessStage.ExactRelease()
                }
                streamStages.append(FairnessStage(config: config, topologyName: name, release: release))
            default:
                break
            }
        }
        return Processor(topology: self, stages: stages, streamStages: streamStages)
    }

    /// In private mode one event updates up to 6 count series (total, predicted positive, one
    /// label cell, one confusion cell, scored, score sum) per sensitive attribute. A series steps
    /// once per window, so with overlapping (hopping, sliding) windows one event adds 1 to the same
    /// series at W = ⌈size / advance⌉ steps: its change in the mechanism's noise space is at most W
    /// times a one-step change (triangle inequality), which costs up to W² times the per-series ρ
    /// (zCDP scales with the squared sensitivity). The accountant composes over
    /// `series_per_event`, so it must be at least 6 × attributes × W².
    static func checkPrivacyCovers(_ fairness: FairnessConfig, privacy: PrivacyConfiguration) throws {
        guard privacy.unit == .event else {
            throw EngineConfigurationError(
                "privacy.unit 'user' is not wired to the fairness stage yet; use unit: event")
        }
        let size = fairness.window.size.milliseconds
        let advance = fairness.window.advance?.milliseconds ?? size
        let windowsPerEvent = (size + advance - 1) / max(advance, 1)
        let needed = Int64(6 * fairness.sensitive.count) * windowsPerEvent * windowsPerEvent
        guard privacy.seriesPerEvent >= needed else {
            throw EngineConfigurationError(
                "privacy.series_per_event is \(privacy.seriesPerEvent) but one event costs up to \(needed) series' budgets "
                    + "(6 counts × \(fairness.sensitive.count) attributes × \(windowsPerEvent)² for the \(windowsPerEvent) "
                    + "overlapping windows each count falls in); set it to \(needed)")
        }
    }

    static func privacyConfiguration(_ section: Section) throws -> PrivacyConfiguration {
        try decode(PrivacyConfiguration.self, section)
    }

    /// Decodes a section straight from its YAML node; a problem is reported at the line and column of
    /// the value (or, for a missing key, the mapping) it concerns.
    static func decode<T: Decodable>(_ type: T.Type, _ section: Section) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: section.node.node)
        } catch let DecodingError.keyNotFound(key, context) {
            throw EngineConfigurationError(
                "missing key '\(key.stringValue)'" + Self.at(context.codingPath),
                at: section.node.deepest(along: context.codingPath).mark)
        } catch let DecodingError.dataCorrupted(context) {
            throw located(context, in: section)
        } catch let DecodingError.typeMismatch(_, context) {
            throw located(context, in: section)
        } catch let DecodingError.valueNotFound(_, context) {
            throw located(context, in: section)
        }
    }

    static func located(_ context: DecodingError.Context, in section: Section) -> EngineConfigurationError {
        EngineConfigurationError(Self.describe(context), at: section.node.deepest(along: context.codingPath).mark)
    }

    static func redactionPolicy(_ section: Section) throws -> RedactionPolicy {
        try RedactionPolicy(plain: Constructor.default.any(from: section.node.node))
    }

    static func fairnessConfig(_ section: Section) throws -> FairnessConfig {
        try decode(FairnessConfig.self, section)
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return String(file[..<slash])
    }

    static func describe(_ context: DecodingError.Context) -> String {
        context.debugDescription + at(context.codingPath)
    }

    static func at(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " (at \(path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")))"
    }
}

/// An engine section that cannot be used as written.
public struct EngineConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// Where in the topology file the problem is, when it is known more precisely than the section.
    public var line: Int?
    public var column: Int?

    public init(_ description: String, at mark: Mark? = nil) {
        self.description = description
        self.line = mark?.line
        self.column = mark?.column
    }
}
