/// What produced an output, carried on every CloudEvent as extension attributes (lower-case
/// alphanumeric names, as CloudEvents requires): the topology, the model where one scored the
/// record, the redaction policy and key, and the Steward version.
///
/// Every value is a function of the topology, the model files, the key and the release, never of
/// the build's git commit or a clock, so a replay reproduces them byte for byte.
public struct Lineage: Sendable, Equatable, Codable {
    /// SHA-256 (hex) of the validated topology in canonical form.
    public var topologySHA256: String?
    /// SHA-256 (hex) of the model file, when the topology scores records.
    public var modelSHA256: String?
    /// The redaction policy's SHA-256 (hex) and the redaction key's id: `<sha256>/<key id>`, or
    /// `<sha256>/none` without a key.
    public var policyID: String?
    /// The release, e.g. `0.1.0`: no commit, so outputs change with a version, not with a rebuild.
    public var stewardVersion: String?

    public init(
        topologySHA256: String? = nil, modelSHA256: String? = nil, policyID: String? = nil,
        stewardVersion: String? = nil
    ) {
        self.topologySHA256 = topologySHA256
        self.modelSHA256 = modelSHA256
        self.policyID = policyID
        self.stewardVersion = stewardVersion
    }

    /// The extension attributes in their fixed order; `modelsha256` only on records a model scored.
    public func attributes(scored: Bool) -> [CloudEvent.Attribute] {
        var attributes: [CloudEvent.Attribute] = []
        if let topologySHA256 { attributes.append(.init(name: "topologysha256", value: topologySHA256)) }
        if scored, let modelSHA256 { attributes.append(.init(name: "modelsha256", value: modelSHA256)) }
        if let policyID { attributes.append(.init(name: "policyid", value: policyID)) }
        if let stewardVersion { attributes.append(.init(name: "stewardversion", value: stewardVersion)) }
        return attributes
    }
}
