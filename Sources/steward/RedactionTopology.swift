import Yams

/// Reads the `redaction:` section of a topology file for `steward redact --topology`. The pipeline's
/// own topology loader hands the same section to `RedactionPolicy(plain:)`.
enum TopologyYAML {
    struct NotAMapping: Error, CustomStringConvertible {
        var description: String { "the topology is not a YAML mapping" }
    }

    static func redactionSection(_ text: String) throws -> Any? {
        guard let root = try Yams.load(yaml: text) else { return nil }
        guard let map = root as? [String: Any] else { throw NotAMapping() }
        return map["redaction"]
    }
}
