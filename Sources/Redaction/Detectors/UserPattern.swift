/// A user-defined pattern in a small, linear-time-friendly regular-expression subset, compiled to
/// byte sets and matched by bounded backtracking — no `Regex`, no `NSRegularExpression`.
///
/// Supported: literal bytes; `.` (any byte but newline); classes `[a-z0-9_]`, `[^…]`; escapes `\d \D \w \W
/// \s \S` and escaped punctuation (`\.`, `\-`, `\\` …); quantifiers `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`.
/// Not supported: groups, alternation, anchors, look-around. Patterns are tried at word starts only, and
/// must end at a word boundary unless `word_boundary: false`.
struct UserPattern: Sendable {
    struct Atom: Sendable {
        var set: [Bool]
        var min: Int
        var max: Int
    }

    var name: String
    var kind: UInt16
    var score: Float
    var wordBoundary: Bool
    var atoms: [Atom]
    var first: [Bool]
    /// Context words (lowercased) that raise the score of a match they precede within `window` bytes,
    /// to `score` (`PatternSpec.score(withContext:)`); nil when the pattern has none.
    var context: ContextRule?

    /// Compiles `pattern`; a pattern outside the subset is refused as an invalid policy naming it.
    init(name: String, pattern: String, kind: UInt16, score: Float, wordBoundary: Bool) throws(RedactionError) {
        self.name = name
        self.kind = kind
        self.score = score
        self.wordBoundary = wordBoundary
        self.atoms = try UserPattern.compile(Array(pattern.utf8), name: name)
        guard !atoms.isEmpty else { throw Self.refusal(name, "pattern '\(name)' is empty") }
        var f = [Bool](repeating: false, count: 256)
        // First-byte set: union of leading atoms up to the first mandatory one.
        for atom in atoms {
            for b in 0..<256 where atom.set[b] { f[b] = true }
            if atom.min > 0 { break }
        }
        first = f
    }

    private static func set(_ pred: (UInt8) -> Bool) -> [Bool] { (0..<256).map { pred(UInt8($0)) } }
    private static let digit = set { (Byte.zero...Byte.nine).contains($0) }
    private static let wordSet = set { ByteClass.isASCIIAlnum($0) || $0 == Byte.underscore }
    private static let space = set {
        [Byte.space, Byte.tab, Byte.newline, Byte.carriageReturn, Byte.formFeed, Byte.verticalTab].contains($0)
    }

    private static func escape(_ c: UInt8) -> [Bool] {
        switch c {
        case UInt8(ascii: "d"): return digit
        case UInt8(ascii: "D"): return digit.map { !$0 }
        case UInt8(ascii: "w"): return wordSet
        case UInt8(ascii: "W"): return wordSet.map { !$0 }
        case UInt8(ascii: "s"): return space
        case UInt8(ascii: "S"): return space.map { !$0 }
        default:
            var s = [Bool](repeating: false, count: 256)
            s[Int(c)] = true
            return s
        }
    }

    /// The error that refuses the pattern named `name`, saying `why`.
    private static func refusal(_ name: String, _ why: String) -> RedactionError {
        .invalidPolicy("pattern `\(name)`: \(why)")
    }

    private static func compile(_ src: [UInt8], name: String) throws(RedactionError) -> [Atom] {
        var atoms: [Atom] = []
        var i = 0
        while i < src.count {
            var s: [Bool]
            let c = src[i]
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < src.count else { throw refusal(name, "trailing backslash") }
                s = escape(src[i + 1])
                i += 2
            case UInt8(ascii: "["):
                var j = i + 1
                var negate = false
                if j < src.count && src[j] == UInt8(ascii: "^") {
                    negate = true
                    j += 1
                }
                s = [Bool](repeating: false, count: 256)
                var firstInClass = true
                while j < src.count && (src[j] != UInt8(ascii: "]") || firstInClass) {
                    firstInClass = false
                    var lo = src[j]
                    if lo == UInt8(ascii: "\\") && j + 1 < src.count {
                        let e = escape(src[j + 1])
                        for b in 0..<256 where e[b] { s[b] = true }
                        j += 2
                        continue
                    }
                    j += 1
                    if j + 1 < src.count && src[j] == UInt8(ascii: "-") && src[j + 1] != UInt8(ascii: "]") {
                        var hi = src[j + 1]
                        if hi == UInt8(ascii: "\\") && j + 2 < src.count {
                            hi = src[j + 2]
                            j += 1
                        }
                        j += 2
                        if hi < lo { swap(&lo, &hi) }
                        for b in lo...hi { s[Int(b)] = true }
                    } else {
                        s[Int(lo)] = true
                    }
                }
                guard j < src.count else { throw refusal(name, "unclosed character class") }
                if negate { s = s.map { !$0 } }
                i = j + 1
            case UInt8(ascii: "."):
                s = [Bool](repeating: true, count: 256)
                s[Int(Byte.newline)] = false
                i += 1
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                throw refusal(name, "groups, alternation and anchors are not supported")
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
                throw refusal(name, "quantifier without an atom")
            default:
                s = [Bool](repeating: false, count: 256)
                s[Int(c)] = true
                i += 1
            }
            var mn = 1, mx = 1
            if i < src.count {
                switch src[i] {
                case UInt8(ascii: "?"): mn = 0; mx = 1; i += 1
                case UInt8(ascii: "*"): mn = 0; mx = 4096; i += 1
                case UInt8(ascii: "+"): mn = 1; mx = 4096; i += 1
                case UInt8(ascii: "{"):
                    var j = i + 1
                    var a = 0, b = -1
                    var sawComma = false
                    var digitsA = 0
                    while j < src.count && src[j] != UInt8(ascii: "}") {
                        let d = src[j]
                        if d == UInt8(ascii: ",") {
                            sawComma = true
                            b = 0
                        } else if (Byte.zero...Byte.nine).contains(d) {
                            let digit = Int(d - Byte.zero)
                            if sawComma { b = b * 10 + digit } else { a = a * 10 + digit; digitsA += 1 }
                        } else {
                            throw refusal(name, "bad repetition")
                        }
                        j += 1
                    }
                    guard j < src.count, digitsA > 0 else { throw refusal(name, "bad repetition") }
                    mn = a
                    mx = sawComma ? (b == 0 && src[j - 1] == UInt8(ascii: ",") ? 4096 : b) : a
                    guard mx >= mn, mx <= 4096 else { throw refusal(name, "bad repetition") }
                    i = j + 1
                default: break
                }
            }
            atoms.append(Atom(set: s, min: mn, max: mx))
        }
        return atoms
    }

    /// The end of the longest match starting at `i`, or nil.
    func match(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Int? {
        var budget = 10_000
        // Through the buffer: copying an `Atom` out of the array retained its set.
        return atoms.withUnsafeBufferPointer { step(p, n, $0, 0, i, &budget) }
    }

    private func step(_ p: UnsafePointer<UInt8>, _ n: Int, _ atoms: UnsafeBufferPointer<Atom>, _ a: Int, _ i: Int,
                      _ budget: inout Int) -> Int? {
        if a == atoms.count {
            if wordBoundary && !WordClass.isBoundary(p, n, i) { return nil }
            return i
        }
        budget -= 1
        if budget <= 0 { return nil }
        let (lo, hi) = (atoms[a].min, atoms[a].max)
        var k = atoms[a].set.withUnsafeBufferPointer { set in
            var k = 0
            while k < hi && i + k < n && set[Int(p[i + k])] { k += 1 }
            return k
        }
        if k < lo { return nil }
        while k >= lo {
            if let e = step(p, n, atoms, a + 1, i + k, &budget) { return e }
            if k == 0 { break }
            k -= 1
        }
        return nil
    }
}
