/// Kind indices of the built-in detectors (positions in `EntityType.builtIn`).
enum Kind {
    static let email: UInt16 = 0
    static let phone: UInt16 = 1
    static let card: UInt16 = 2
    static let iban: UInt16 = 3
    static let ssn: UInt16 = 4
    static let itin: UInt16 = 5
    static let nhs: UInt16 = 6
    static let ip: UInt16 = 7
    static let mac: UInt16 = 8
    static let url: UInt16 = 9
    static let crypto: UInt16 = 10
    static let date: UInt16 = 11
    static let person: UInt16 = 12
    static let location: UInt16 = 13
    static let builtInCount: UInt16 = 14
}

/// Context words looked for (ASCII case-insensitively) in a short window before a borderline candidate.
/// Stored flat and grouped by first byte, so a window is scanned with plain loads — one table lookup
/// per byte and no reference counting.
final class ContextSet: @unchecked Sendable {
    let words: [[UInt8]]
    /// Per first byte, the range of `offsets`/`lengths` entries (words sorted by first byte).
    private let bucketStart: UnsafeMutablePointer<Int32>
    private let bucketEnd: UnsafeMutablePointer<Int32>
    private let offsets: UnsafeMutablePointer<Int32>
    private let lengths: UnsafeMutablePointer<Int32>
    private let arena: UnsafeMutablePointer<UInt8>
    /// A 1024-bit filter over the first two bytes of every word: most window positions fail it
    /// at once. Off when a word has a single byte.
    private let pairs: UnsafeMutablePointer<UInt64>
    private let pairFilter: Bool

    @inline(__always)
    static func pairSlot(_ b0: UInt8, _ b1: UInt8) -> Int { (Int(b0) &* 31 &+ Int(b1)) & 1023 }

    init(_ words: [[UInt8]]) {
        self.words = words
        let sorted = words.filter { !$0.isEmpty }.sorted { $0[0] < $1[0] }
        pairs = .allocate(capacity: 16)
        pairs.initialize(repeating: 0, count: 16)
        pairFilter = sorted.allSatisfy { $0.count >= 2 }
        for w in sorted where w.count >= 2 {
            let h = ContextSet.pairSlot(w[0], w[1])
            pairs[h &>> 6] |= 1 &<< UInt64(h & 63)
        }
        bucketStart = .allocate(capacity: 256)
        bucketStart.initialize(repeating: 0, count: 256)
        bucketEnd = .allocate(capacity: 256)
        bucketEnd.initialize(repeating: 0, count: 256)
        offsets = .allocate(capacity: max(1, sorted.count))
        lengths = .allocate(capacity: max(1, sorted.count))
        let total = sorted.reduce(0) { $0 + $1.count }
        arena = .allocate(capacity: max(1, total))
        var at = 0
        for (k, w) in sorted.enumerated() {
            let b = Int(w[0])
            if bucketEnd[b] == 0 { bucketStart[b] = Int32(k) }
            bucketEnd[b] = Int32(k + 1)
            offsets[k] = Int32(at)
            lengths[k] = Int32(w.count)
            for (j, c) in w.enumerated() { arena[at + j] = c }
            at += w.count
        }
    }

    deinit {
        bucketStart.deallocate()
        bucketEnd.deallocate()
        offsets.deallocate()
        lengths.deallocate()
        arena.deallocate()
        pairs.deallocate()
    }

    /// Whether one of the words is exactly `p[start ..< start + len]`, bytes compared as they are
    /// (no case folding): the words starting with that byte, from the flat arena.
    @inline(__always)
    func containsExactly(_ p: UnsafePointer<UInt8>, _ start: Int, _ len: Int) -> Bool {
        let b0 = Int(p[start])
        var w = Int(bucketStart[b0])
        let e = Int(bucketEnd[b0])
        while w < e {
            if Int(lengths[w]) == len && memcmpBytes(arena + Int(offsets[w]), p + start, len) { return true }
            w &+= 1
        }
        return false
    }

    /// Whether a word occurs in `p[lo..<pos]`, ASCII capitals folded to lowercase. Scans from the end of
    /// the window back, since context words usually sit right before the candidate ("hi Anna").
    @inline(__always)
    func occurs(_ p: UnsafePointer<UInt8>, _ lo: Int, _ pos: Int) -> Bool {
        var k = pos &- 1
        while k >= lo {
            defer { k &-= 1 }
            var b0 = p[k]
            if b0 &- 65 < 26 { b0 |= 0x20 }
            if pairFilter {
                // Every word has two bytes or more, so it starts before `pos - 1`.
                if k &+ 1 >= pos { continue }
                var b1 = p[k &+ 1]
                if b1 &- 65 < 26 { b1 |= 0x20 }
                let h = ContextSet.pairSlot(b0, b1)
                if pairs[h &>> 6] & (1 &<< UInt64(h & 63)) == 0 { continue }
            }
            var w = Int(bucketStart[Int(b0)])
            let e = Int(bucketEnd[Int(b0)])
            while w < e {
                let len = Int(lengths[w])
                if k &+ len <= pos {
                    let q = arena + Int(offsets[w])
                    var t = 1
                    while t < len {
                        var b = p[k &+ t]
                        if b &- 65 < 26 { b |= 0x20 }
                        if b != q[t] { break }
                        t &+= 1
                    }
                    if t == len { return true }
                }
                w &+= 1
            }
        }
        return false
    }
}

enum Context {
    static func list(_ words: [String]) -> ContextSet { ContextSet(words.map { Array($0.utf8) }) }

    /// A user pattern's or dictionary's context words (any case), window and raised score; nil when
    /// it lists no words.
    static func rule(words: [String], window: Int, score: Double) -> ContextRule? {
        let words = words.map { $0.lowercased() }.filter { !$0.isEmpty }
        return words.isEmpty ? nil : ContextRule(words: list(words), window: window, score: Float(score))
    }
    static let phone = list([
        "phone", "call", "tel", "mobile", "cell", "fax", "text me", "reach me", "whatsapp", "contact", "number",
        "dial", "ring", "telefon", "handy", "portable", "téléphone", "ph:", "mob",
        // Japanese, Chinese, Korean, Thai (written glued to the number: "電話090-1234-5678").
        "電話", "携帯", "電話番号", "电话", "手机", "전화", "휴대폰", "연락처", "โทร", "เบอร์", "มือถือ",
    ])
    static let ssn = list(["ssn", "social security", "social sec", "ss#", "ss #"])
    static let itin = list(["itin", "taxpayer", "tax id", "tin"])
    static let nhs = list(["nhs", "health service", "patient", "gp "])
    static let particles = list(["van", "von", "der", "den", "de", "la", "le", "du", "di", "da", "del", "della", "dos", "das", "ter", "ten", "zu", "y"])
    static let version = list(["version", "ver ", "ver.", "release", "firmware", "v."])
    static let locationBefore = list([
        " in ", " to ", " from ", " at ", " near ", "visit", "based in", "born in", "moved to", "live in",
        "lives in", "city of", "flight to", "fly to", "trip to", "in\t", "nach ", " à ", " en ", " a ",
    ])
    static let personBefore = list([
        "hi ", "hello ", "hey ", "dear ", "thanks ", "thank you ", "name is ", "i'm ", "i am ", "this is ",
        "ask ", "tell ", "with ", " from ", "cc ", "cc: ", " by ", "contact ", "met ", "meet ", "named ",
        "called ", "customer ", "user ", "agent ", "spoke to ", "talked to ", "signed ", "regards, ", "cheers, ",
        "attn ", "attn: ", "to: ", "from: ", "bonjour ", "hallo ", "ciao ", "hola ", "name: ",
    ])
}

/// Collects the detector configuration while a policy compiles; `build()` freezes it.
struct DetectorBuilder {
    var kinds: [EntityType] = EntityType.builtIn
    var enabled = [Bool](repeating: true, count: Int(Kind.builtInCount))
    var words: WordTable
    var patterns: [UserPattern] = []
    /// Dictionary terms the word table cannot hold (`LiteralTerms`).
    var literals = LiteralTerms()
    /// The user dictionaries, by the index stored in their terms' word flags.
    var dictionaries: [UserDictionary] = []
    var patternFirst = [Bool](repeating: false, count: 256)
    var longDates = true
    var numericDates = true
    var bareDomains = true
    /// Bytes at which a dictionary word is looked up in the user-rule pass: the first byte of a user
    /// term that starts lowercase, and for a case-insensitive one its capital too (the main loop looks
    /// capitalised words up in `words` only, non-ASCII ones in both tables).
    var lookupFirst = [Bool](repeating: false, count: 256)
    /// The terms of case-insensitive dictionaries, folded (`CaseFold`), with the same flags as
    /// `words` gives exact terms.
    var folded = WordTable(capacityHint: 16)

    init(words: WordTable) {
        self.words = words
    }

    mutating func kindIndex(of type: EntityType) -> UInt16 {
        if let i = kinds.firstIndex(of: type) { return UInt16(i) }
        kinds.append(type)
        return UInt16(kinds.count - 1)
    }

    func build() -> DetectorConfig {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 48...57 { t[b] = Trigger.digit }
        for b in 65...90 { t[b] = Trigger.upper }
        t[Int(UInt8(ascii: "@"))] = Trigger.at
        t[Int(UInt8(ascii: ":"))] = Trigger.colon
        t[Int(UInt8(ascii: "+"))] = Trigger.plus
        t[Int(UInt8(ascii: "("))] = Trigger.lparen
        t[Int(UInt8(ascii: "."))] = Trigger.dot
        t[Int(UInt8(ascii: "-"))] = Trigger.dash
        for b in 0xC0...0xFF { t[b] = Trigger.nonASCII }
        // The user terms a look-up that does not start at a capital may find: exact ones that start
        // lowercase (not the gazetteer's lowercase words, "juillet", "de") and folded ones.
        var pairs = StartPairs()
        let user = WordFlags.userTerm.rawValue | WordFlags.userPrefix.rawValue
        for key in words.keys where !(65...90).contains(key[0]) && words.lookup(key) & user != 0 { pairs.insert(key) }
        for key in folded.keys { pairs.insert(key) }
        // User patterns, literal terms and the dictionary look-ups of `lookupFirst` run in a pass of
        // their own (`Scanner.userRules`), so their first bytes are no triggers and the main loop
        // keeps its vector skip.
        let literalFirst = literals.firstBytes
        let userFirst = (0..<256).map { patternFirst[$0] || literalFirst[$0] || lookupFirst[$0] }
        var en = enabled
        while en.count < kinds.count { en.append(true) }
        return DetectorConfig(kinds: kinds, enabled: en, words: words, patterns: patterns, literals: literals,
                              dictionaries: dictionaries, trigger: t, userFirst: userFirst, lookupFirst: lookupFirst,
                              longDates: longDates, numericDates: numericDates, bareDomains: bareDomains,
                              otherScriptWords: (words.keys + folded.keys).contains { ($0.first ?? 0) >= 0xE0 },
                              folded: folded.count > 0 ? folded : nil, startPairs: pairs.bitmap())
    }
}

/// A 1024-bit filter over the first two bytes of the dictionary keys a lowercase word may match
/// (exact keys that do not start with a capital, and folded keys), both bytes mapped by `slot` so
/// that every spelling a case-insensitive key matches maps to the key's own slot. Most lowercase
/// words at a trigger byte ("and", "about") fail it before their end is found and hashed.
struct StartPairs {
    private var bits = [UInt64](repeating: 0, count: 16)
    /// False when a key has a single byte: then every word passes.
    private(set) var active = true

    /// The first byte folded (`CaseFold`, with the byte after it for a two-byte letter); the second
    /// lowercased if an ASCII letter, else one value for every non-ASCII byte (the lead byte of a
    /// letter can change with its case, Π/π).
    @inline(__always)
    static func slot(_ b0: UInt8, _ b1: UInt8) -> Int {
        let l0 = b0 &- 65 < 26 ? b0 | 0x20 : (b0 >= 0xC3 ? CaseFold.pair(b0, b1).0 : b0)
        let l1 = b1 >= 0x80 ? 0x80 : (b1 &- 65 < 26 ? b1 | 0x20 : b1)
        return ContextSet.pairSlot(l0, l1)
    }

    mutating func insert(_ key: [UInt8]) {
        guard key.count >= 2 else {
            active = false
            return
        }
        let h = Self.slot(key[0], key[1])
        bits[h >> 6] |= 1 << UInt64(h & 63)
    }

    func bitmap() -> [UInt64] { active ? bits : [UInt64](repeating: ~0, count: 16) }
}

/// Context words that raise a user match's score to `score` when one occurs in the `window` bytes
/// before it.
struct ContextRule {
    let words: ContextSet
    let window: Int
    let score: Float
}

/// A user dictionary as the scanner reports its terms: kind, score, and the score with a context
/// word in the window before the term.
struct UserDictionary {
    let kind: UInt16
    let score: Float
    let context: ContextRule?
}

/// The frozen detector configuration: which kinds run, the gazetteer, user patterns, and the trigger
/// table of bytes that can start a candidate. Immutable (`let` only), so the hot loop reads it without
/// exclusivity checks and one instance serves every thread.
final class DetectorConfig: @unchecked Sendable {
    let kinds: [EntityType]
    let enabled: [Bool]
    let words: WordIndex
    let enabledFlags: UnsafeMutablePointer<Bool>
    let patterns: [UserPattern]
    /// Dictionary terms matched as literals (`LiteralTerms`).
    let literals: LiteralTerms
    let dictionaries: [UserDictionary]
    let trigger: [UInt8]
    /// Bytes at which a user pattern, a literal term or a dictionary look-up may start
    /// (`Scanner.userRules`).
    let userFirst: UnsafeMutablePointer<Bool>
    /// Bytes at which a dictionary word is looked up in that pass (`DetectorBuilder.build`).
    let lookupFirst: UnsafeMutablePointer<Bool>
    /// `userFirst` as up to eight byte values for a vector search; nil when there are more.
    let userNeedles: ByteNeedles?
    /// Indices into `patterns` of the patterns that may start with each byte.
    let patternsByFirst: [[Int32]]
    let hasPatterns: Bool
    let hasLiterals: Bool
    let longDates: Bool
    let numericDates: Bool
    let bareDomains: Bool
    /// Whether a word of the gazetteer or a dictionary starts with a character of three bytes or
    /// more (CJK, kana, Hangul, Thai …): then such text is looked up word by word.
    let otherScriptWords: Bool
    /// The folded terms of case-insensitive dictionaries; nil when there are none.
    let folded: WordIndex?
    /// `folded`, for the scanner to read without retaining it.
    let foldedRef: Unmanaged<WordIndex>?
    /// `StartPairs` of the keys a lowercase word or a folded look-up may match, 1024 bits.
    let startPairs: UnsafeMutablePointer<UInt64>
    /// Whether the policy has user patterns, literal terms or dictionary words to look up in the
    /// user-rule pass.
    let hasUserRules: Bool

    init(kinds: [EntityType], enabled: [Bool], words: WordTable, patterns: [UserPattern], literals: LiteralTerms,
         dictionaries: [UserDictionary], trigger: [UInt8], userFirst: [Bool], lookupFirst: [Bool], longDates: Bool,
         numericDates: Bool, bareDomains: Bool, otherScriptWords: Bool, folded: WordTable?, startPairs: [UInt64]) {
        // The main loop finds trigger bytes with `TriggerVector` alone.
        precondition((0..<256).allSatisfy { trigger[$0] == Trigger.none || TriggerVector.covers(UInt8($0)) })
        self.kinds = kinds
        self.enabled = enabled
        self.words = WordIndex(words)
        self.enabledFlags = .allocate(capacity: enabled.count)
        self.enabledFlags.initialize(from: enabled, count: enabled.count)
        self.patterns = patterns
        self.literals = literals
        self.dictionaries = dictionaries
        self.trigger = trigger
        self.userFirst = .allocate(capacity: 256)
        self.userFirst.initialize(from: userFirst, count: 256)
        self.lookupFirst = .allocate(capacity: 256)
        self.lookupFirst.initialize(from: lookupFirst, count: 256)
        self.userNeedles = ByteNeedles((0..<256).filter { userFirst[$0] }.map(UInt8.init))
        self.patternsByFirst = (0..<256).map { b in patterns.indices.filter { patterns[$0].first[b] }.map(Int32.init) }
        self.longDates = longDates
        self.numericDates = numericDates
        self.bareDomains = bareDomains
        self.otherScriptWords = otherScriptWords
        self.folded = folded.map(WordIndex.init)
        self.foldedRef = self.folded.map { Unmanaged.passUnretained($0) }
        self.startPairs = .allocate(capacity: 16)
        self.startPairs.initialize(from: startPairs, count: 16)
        self.hasUserRules = userFirst.contains(true)
        self.hasPatterns = !patterns.isEmpty
        self.hasLiterals = !literals.isEmpty
    }

    deinit {
        enabledFlags.deallocate()
        userFirst.deallocate()
        lookupFirst.deallocate()
        startPairs.deallocate()
    }

    @inline(__always) func isEnabled(_ kind: UInt16) -> Bool { enabledFlags[Int(kind)] }
}
