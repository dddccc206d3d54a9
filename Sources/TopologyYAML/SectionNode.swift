import Pipeline
import Yams

/// A topology section's YAML node, as composed from the file (with its marks).
///
/// Yams' `Node` is an immutable value tree that is not declared `Sendable`; nothing mutates it after
/// the reader composes it, so sharing it between threads is safe.
public struct SectionNode: SectionContent, @unchecked Sendable, Equatable {
    public let node: Node

    public init(_ node: Node) {
        self.node = node
    }

    public func isEqual(to other: any SectionContent) -> Bool {
        (other as? SectionNode) == self
    }

    /// The deepest node along a decoding path (mapping keys and sequence indices), for locating a
    /// decoding error; stops at the last node the path reaches.
    public func deepest(along path: [any CodingKey]) -> Node {
        var current = node
        for key in path {
            let next: Node?
            switch current {
            case .mapping(let mapping): next = mapping[key.stringValue]
            case .sequence(let sequence): next = key.intValue.flatMap { $0 < sequence.count ? sequence[$0] : nil }
            default: next = nil
            }
            guard let next else { break }
            current = next
        }
        return current
    }
}
