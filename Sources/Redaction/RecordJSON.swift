@_exported import JSON

/// A record as the pipeline holds it: the shared `JSONValue` (numbers keep their lexeme, objects
/// keep member order), so records pass between the pipeline and the engine without conversion.
public typealias RedactionJSON = JSONValue

/// A JSON path: `$`, `.name`, `['name']`, `[3]`, `[*]`, `.*` and recursive descent `..name`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
        case wildcard
        case descendant(String?)  // ..name or ..*
    }

    public var segments: [Segment] { didSet { hasDescendant = Self.anyDescendant(segments) } }
    public let description: String
    /// Whether a segment is `..`: kept with the segments, so a match does not look for one each time.
    private(set) var hasDescendant = false

    private static func anyDescendant(_ segments: [Segment]) -> Bool {
        segments.contains { if case .descendant = $0 { true } else { false } }
    }

    public init(parsing text: String, _ where_: String = "path") throws(RedactionError) {
        description = text
        let b = Array(text.utf8)
        var i = 0
        guard i < b.count, b[0] == UInt8(ascii: "$") else {
            throw .invalidPolicy("`\(where_)`: a JSON path starts with `$`")
        }
        i = 1
        var segs: [Segment] = []
        func name(_ j: inout Int) -> String {
            let s = j
            while j < b.count && b[j] != UInt8(ascii: ".") && b[j] != UInt8(ascii: "[") { j += 1 }
            return String(decoding: b[s..<j], as: UTF8.self)
        }
        while i < b.count {
            if b[i] == UInt8(ascii: ".") {
                if i + 1 < b.count && b[i + 1] == UInt8(ascii: ".") {
                    i += 2
                    let n = name(&i)
                    guard !n.isEmpty else { throw .invalidPolicy("`\(where_)`: `..` needs a name or `*`") }
                    segs.append(.descendant(n == "*" ? nil : n))
                    continue
                }
                i += 1
                let n = name(&i)
                guard !n.isEmpty else { throw .invalidPolicy("`\(where_)`: empty member name") }
                segs.append(n == "*" ? .wildcard : .key(n))
            } else if b[i] == UInt8(ascii: "[") {
                guard let close = b[i...].firstIndex(of: UInt8(ascii: "]")) else {
                    throw .invalidPolicy("`\(where_)`: unclosed `[`")
                }
                let inner = String(decoding: b[(i + 1)..<close], as: UTF8.self)
                if inner == "*" {
                    segs.append(.wildcard)
                } else if let n = Int(inner), n >= 0 {
                    segs.append(.index(n))
                } else if inner.count >= 2, let f = inner.first, let l = inner.last, (f == "'" && l == "'") || (f == "\"" && l == "\"") {
                    segs.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw .invalidPolicy("`\(where_)`: bad subscript")
                }
                i = close + 1
            } else {
                throw .invalidPolicy("`\(where_)`: unexpected character in JSON path")
            }
        }
        segments = segs
        hasDescendant = Self.anyDescendant(segs)
    }

    /// Whether a concrete location (keys and indices from the root) matches this path.
    func matches(_ location: [LocationStep]) -> Bool {
        // Without `..` a path matches only locations of its own length, step by step.
        if hasDescendant { return Self.match(segments[...], location[...]) }
        guard segments.count == location.count else { return false }
        for k in segments.indices where !Self.matches(segments[k], location[k]) { return false }
        return true
    }

    private static func matches(_ seg: Segment, _ step: LocationStep) -> Bool {
        // One `switch` per operand: switching on the pair built a tuple that the runtime's generic
        // tuple witness destroyed on every call.
        switch seg {
        case .key(let a):
            if case .key(let b) = step { return a == b }
            return false
        case .index(let a):
            if case .index(let b) = step { return a == b }
            return false
        case .wildcard: return true
        case .descendant: return false
        }
    }

    private static func match(_ segs: ArraySlice<Segment>, _ loc: ArraySlice<LocationStep>) -> Bool {
        guard let seg = segs.first else { return loc.isEmpty }
        switch seg {
        case .descendant(let name):
            // Skip zero or more steps, then match `name` (or anything) and the rest.
            var rest = loc
            while let step = rest.first {
                let ok: Bool
                if let name { if case .key(let k) = step { ok = k == name } else { ok = false } } else { ok = true }
                if ok && match(segs.dropFirst(), rest.dropFirst()) { return true }
                rest = rest.dropFirst()
            }
            return false
        default:
            guard let step = loc.first else { return false }
            return matches(seg, step) && match(segs.dropFirst(), loc.dropFirst())
        }
    }
}

enum LocationStep: Equatable {
    case key(String)
    case index(Int)
}
