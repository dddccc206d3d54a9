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

/// Eight integers in stack memory that `Scanner.numberGroups` provides, indexed 0..<8. (A tuple
/// read through `withUnsafeBytes(of:)` was copied whole, 64 bytes, to a temporary on every read;
/// a chat line with an IPv4 address scans about 8 % faster without the copies.)
struct Fixed8 {
    let base: UnsafeMutablePointer<Int>
    @inline(__always) subscript(i: Int) -> Int {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

/// Up to 24 ASCII digits inline (no heap allocation): the digit groups of a number candidate, joined.
struct DigitBuffer {
    var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0

    /// Joins the first `k` groups; callers pass at most 24 digits in all.
    mutating func fill(_ p: UnsafePointer<UInt8>, _ starts: Fixed8, _ lens: Fixed8, _ k: Int) {
        var c = 0
        withUnsafeMutableBytes(of: &storage) { raw in
            for g in 0..<k {
                for j in 0..<lens[g] where c < 24 {
                    raw[c] = p[starts[g] &+ j]
                    c &+= 1
                }
            }
        }
        count = c
    }

    var first: UInt8 { count > 0 ? UInt8(truncatingIfNeeded: storage.0) : 0 }

    func check(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        withUnsafeBytes(of: storage) { raw in
            body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
        }
    }
}

/// What every scan under one configuration reads, as plain values and unretained references: the
/// redactor builds it once, so starting a scan loads no object and retains nothing.
struct ScanSetup {
    /// The redactor keeps the configuration (and with it the word index) alive while it scans.
    let config: Unmanaged<DetectorConfig>
    let words: Unmanaged<WordIndex>
    let trig: UnsafePointer<UInt8>
    let cls: UnsafePointer<UInt8>
    let enabled: UnsafeMutablePointer<Bool>
    let hasUserRules: Bool
    let longDates: Bool
    let numericDates: Bool
    let bareDomains: Bool
    /// Whether a case-insensitive dictionary has terms (`DetectorConfig.folded`).
    let hasFolded: Bool
    /// `DetectorConfig.otherScriptWords`.
    let otherScriptWords: Bool

    init(config: DetectorConfig, trig: UnsafePointer<UInt8>, cls: UnsafePointer<UInt8>) {
        self.config = Unmanaged.passUnretained(config)
        self.words = Unmanaged.passUnretained(config.words)
        self.trig = trig
        self.cls = cls
        self.enabled = config.enabledFlags
        self.hasUserRules = config.hasUserRules
        self.longDates = config.longDates
        self.numericDates = config.numericDates
        self.bareDomains = config.bareDomains && config.enabledFlags[Int(Kind.url)]
        self.hasFolded = config.folded != nil
        self.otherScriptWords = config.otherScriptWords
    }
}

/// One pass over UTF-8 bytes. Bytes that cannot start a candidate cost one table lookup; trigger bytes
/// dispatch to hand-written recognisers whose validators (checksums, numbering rules, context words)
/// decide borderline cases. Offsets are bytes; the caller converts to code points.
struct Scanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    /// Tables, flags and unretained references of the configuration (see `ScanSetup`).
    let setup: ScanSetup
    /// Whether the main loop runs over stop bitmasks (`runBlocks`), not the reference loop.
    let blocks: Bool
    /// Matches in emission order. `buffer` is memory the caller provides (stack or a `Workspace`);
    /// when it fills up, `grow()` moves the matches to a larger heap block, which the caller then owns
    /// (`grown` is true) — so a scan uses no `Array` and the scanner holds no reference.
    private(set) var buffer: UnsafeMutablePointer<Match>
    private(set) var capacity: Int
    private(set) var grown = false
    var count = 0

    init(p: UnsafePointer<UInt8>, n: Int, setup: ScanSetup, buffer: UnsafeMutableBufferPointer<Match>,
         reference: Bool = false) {
        self.buffer = buffer.baseAddress!
        self.capacity = buffer.count
        self.p = p
        self.n = n
        self.setup = setup
        self.blocks = !reference
    }

    @inline(__always) var cls: UnsafePointer<UInt8> { setup.cls }
    @inline(__always) var trig: UnsafePointer<UInt8> { setup.trig }
    @inline(__always) var enabled: UnsafeMutablePointer<Bool> { setup.enabled }

    /// The configuration, for the rarer paths (user patterns and dictionaries).
    var cfg: DetectorConfig { setup.config.takeUnretainedValue() }

    /// The matches found, in emission order.
    var matches: UnsafeMutableBufferPointer<Match> { UnsafeMutableBufferPointer(start: buffer, count: count) }

    // MARK: Gazetteer look-ups

    @inline(__always) func lookup(_ q: UnsafePointer<UInt8>, _ len: Int) -> UInt32 {
        setup.words._withUnsafeGuaranteedRef { $0.lookup(q, len) }
    }

    @inline(__always) func lookupMeaningful(_ q: UnsafePointer<UInt8>, _ len: Int) -> UInt32 {
        setup.words._withUnsafeGuaranteedRef { $0.lookupMeaningful(q, len) }
    }

    @inline(__always) func mayStartMonth(_ b0: UInt8, _ b1: UInt8) -> Bool {
        setup.words._withUnsafeGuaranteedRef { $0.mayStartMonth(b0, b1) }
    }

    @inline(__always) var maxKeyLength: Int { setup.words._withUnsafeGuaranteedRef { $0.maxKeyLength } }

    /// Whether a key of `DetectorConfig.startPairs` may start at `i` (a lowercase word, or any word
    /// for the folded keys).
    @inline(__always) func mayStartKey(_ i: Int) -> Bool {
        let h = StartPairs.slot(p[i], at(i &+ 1))
        return setup.config._withUnsafeGuaranteedRef { $0.startPairs[h &>> 6] } & (1 &<< UInt64(h & 63)) != 0
    }

    // MARK: Byte helpers

    @inline(__always) func at(_ i: Int) -> UInt8 { (i >= 0 && i < n) ? p[i] : 0 }
    @inline(__always) func c(_ i: Int) -> UInt8 { (i >= 0 && i < n) ? cls[Int(p[i])] : 0 }
    @inline(__always) func isDigit(_ i: Int) -> Bool { c(i) & ByteClass.digit != 0 }
    @inline(__always) func isAlnum(_ i: Int) -> Bool { c(i) & ByteClass.alnum != 0 }
    @inline(__always) func isAlpha(_ i: Int) -> Bool { c(i) & ByteClass.alpha != 0 }
    @inline(__always) func isUpper(_ i: Int) -> Bool { c(i) & ByteClass.upper != 0 }
    @inline(__always) func isLower(_ i: Int) -> Bool { c(i) & ByteClass.lower != 0 }
    @inline(__always) func isHex(_ i: Int) -> Bool { c(i) & ByteClass.hex != 0 }
    /// Whether the character at byte `i` continues an ASCII word: ASCII letters, digits and `_`, and
    /// letters of the scripts written with spaces (`WordClass.latin`); a multi-byte character is
    /// decoded only here, next to a candidate.
    @inline(__always) func isWord(_ i: Int) -> Bool {
        guard i >= 0 && i < n else { return false }
        let b = p[i]
        if b < 0x80 { return cls[Int(b)] & ByteClass.word != 0 }
        return WordClass.slow(p, n, i).0 == WordClass.latin
    }

    /// The class of the character at byte `i` and where it ends (`WordClass`).
    @inline(__always) func wordClass(_ i: Int) -> (UInt8, Int) { WordClass.at(p, n, i, cls) }

    @inline(__always) mutating func emit(_ kind: UInt16, _ s: Int, _ e: Int, _ score: Float) {
        guard enabled[Int(kind)], e > s else { return }
        if count == capacity { grow() }
        buffer[count] = Match(start: s, end: e, kind: kind, score: score)
        count &+= 1
    }

    /// Moves the matches to a heap block twice the size; frees the previous one if it was grown here.
    @inline(never)
    mutating func grow() {
        let bigger = UnsafeMutablePointer<Match>.allocate(capacity: max(2 * capacity, 32))
        bigger.moveInitialize(from: buffer, count: count)
        if grown { buffer.deallocate() }
        buffer = bigger
        capacity = max(2 * capacity, 32)
        grown = true
    }

    /// The end of the word that the character at `i` belongs to: the characters of its class
    /// (`WordClass`), so an ASCII word ends where CJK text starts; just past `i` for punctuation.
    func skipWord(_ i: Int) -> Int {
        var j = i
        // ASCII word bytes first, one table test each as before the classes; only a multi-byte
        // character decides by its class.
        while j < n && cls[Int(p[j])] & (ByteClass.word | ByteClass.nonASCII) == ByteClass.word { j += 1 }
        if j >= n || p[j] < 0x80 { return max(j, i + 1) }
        return skipWordByClass(i, j)
    }

    /// `skipWord` from the multi-byte character at `j` (the bytes from `i` to `j` are ASCII word bytes).
    @inline(never)
    func skipWordByClass(_ i: Int, _ from: Int) -> Int {
        var j = from
        let (k, first) = wordClass(i)
        if k == WordClass.nonWord { return max(first, i + 1) }
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if k != WordClass.latin || cls[Int(b)] & ByteClass.word == 0 { break }
                j += 1
                continue
            }
            let (c, e) = wordClass(j)
            if c != k { break }
            j = e
        }
        return max(j, i + 1)
    }

    func skipAlnum(_ i: Int) -> Int {
        var j = i
        while j < n && cls[Int(p[j])] & ByteClass.alnum != 0 { j += 1 }
        return j
    }

    func digitsValue(_ s: Int, _ e: Int) -> Int {
        var v = 0
        for k in s..<e { v = v &* 10 &+ Int(p[k] &- 48) }
        return v
    }

    /// A user match's score at `pos`: `rule.score` when one of its context words occurs in its window
    /// before `pos`, else `base`.
    func score(_ base: Float, _ rule: ContextRule?, before pos: Int) -> Float {
        guard let rule, contextBefore(pos, rule.window, rule.words) else { return base }
        return rule.score
    }

    /// Whether any of `words` occurs (ASCII case-insensitively) in the `window` bytes before `pos`.
    func contextBefore(_ pos: Int, _ window: Int, _ words: ContextSet) -> Bool {
        let lo = max(0, pos - window)
        if pos - lo <= 0 { return false }
        return words.occurs(p, lo, pos)
    }

    // MARK: Main loop

    mutating func run() {
        if blocks { runBlocks() } else { runStops() }
        if setup.hasUserRules { userRules() }
    }

    /// User patterns, literal dictionary terms and the dictionary words the main loop does not look
    /// up (`lookUpUserTerm`), tried at every word start whose byte may start one
    /// — a pass of its own, so that a recogniser that passes over a stretch of text (digit groups
    /// that turned out to be nothing, "66 123456") cannot hide a user rule's match inside it. Its
    /// hits come after the main loop's; `Redactor.resolve` sorts them.
    mutating func userRules() {
        // Unretained: the redactor keeps the configuration alive while it scans.
        setup.config._withUnsafeGuaranteedRef { userRules($0) }
    }

    private mutating func userRules(_ cfg: DetectorConfig) {
        var i = 0
        // Sixteen bytes a step, only where the byte before is no word byte (first bytes such as "a"
        // or "n" are common inside words), and with up to eight distinct first bytes one compare per
        // byte value (else a table look-up per word start); the last step overlaps the one before
        // it, its lanes already seen masked off.
        if n >= 17 {
            if cfg.userFirst[Int(p[0])] { tryUserRules(0, cfg) }
            let needles = cfg.userNeedles
            i = 1
            while i < n {
                let base = min(i, n &- 16)
                let v = UnsafeRawPointer(p + base).loadUnaligned(as: SIMD16<UInt8>.self)
                let before = UnsafeRawPointer(p + (base &- 1)).loadUnaligned(as: SIMD16<UInt8>.self)
                // Lanes with a multi-byte character on either side are decided per lane (`WordClass`).
                let multiByte = before .>= SIMD16<UInt8>(repeating: 0x80) .| v .>= SIMD16<UInt8>(repeating: 0x80)
                var starts = .!ByteClass.wordLanes(before) .| multiByte
                if let needles { starts .&= needles.matches(v) }
                var m = TriggerVector.maskBits(starts) & (~0 &<< UInt64(i &- base))
                while m != 0 {
                    let k = base &+ m.trailingZeroBitCount
                    m &= m &- 1
                    if (p[k &- 1] | p[k]) >= 0x80 && !WordClass.startsAfter(p, n, k) { continue }
                    if needles != nil || cfg.userFirst[Int(p[k])] { tryUserRules(k, cfg) }
                }
                i = base &+ 16
            }
        }
        while i < n {
            if cfg.userFirst[Int(p[i])] && WordClass.startsAfter(p, n, i) { tryUserRules(i, cfg) }
            i &+= 1
        }
    }

    /// The reference main loop: stop at every trigger byte (`nextTrigger`) and dispatch it.
    mutating func runStops() {
        var i = nextTrigger(0)
        while i < n {
            i = nextTrigger(step(i))
        }
    }

    /// Runs the recogniser for the byte at `i` and returns where scanning resumes (always past `i`).
    @inline(__always)
    mutating func step(_ i: Int) -> Int {
        let t = trig[Int(p[i])]
        if t == Trigger.none { return i &+ 1 }
        if t == Trigger.nonASCII { return multiByteWord(i) }
        let midWord = isWord(i &- 1)
        switch t {
        case Trigger.digit:
            return midWord ? midWordDigit(i) : numeric(i)
        case Trigger.upper:
            return midWord ? skipWord(i) : capitalized(i)
        case Trigger.at: return email(i)
        case Trigger.colon: return colon(i)
        case Trigger.plus: return plus(i)
        case Trigger.lparen: return lparen(i)
        case Trigger.dot: return dot(i)
        case Trigger.dash: return dash(i)
        default:
            return i &+ 1
        }
    }

    /// The position of the first trigger byte at or after `from`, or `n`. Sixteen bytes at a time
    /// with vector compares (`TriggerVector`, which also passes over dots that no letter or digit
    /// follows; every trigger byte is one it stops at, `DetectorConfig.init`); inputs shorter than
    /// seventeen bytes go through the trigger table, one lookup per byte. Stopping at a byte the
    /// vector test would skip is harmless: its recogniser finds nothing.
    @inline(__always)
    func nextTrigger(_ from: Int) -> Int {
        var i = from
        while i &+ 17 <= n {
            let (lo, hi) = TriggerVector.lanes(UnsafeRawPointer(p + i))
            if lo != 0 { return i &+ lo.trailingZeroBitCount &>> 3 }
            if hi != 0 { return i &+ 8 &+ hi.trailingZeroBitCount &>> 3 }
            i &+= 16
        }
        if i >= n { return n }
        if n >= 17 {
            // The block of bytes n-17 ..< n-1, overlapping what was scanned; lanes before `i` are
            // masked. The last byte goes through the table.
            let base = n &- 17
            let skip = i &- base
            if skip < 16 {
                var (lo, hi) = TriggerVector.lanes(UnsafeRawPointer(p + base))
                if skip >= 8 {
                    lo = 0
                    hi &= ~0 &<< UInt64((skip &- 8) &* 8)
                } else {
                    lo &= ~0 &<< UInt64(skip &* 8)
                }
                if lo != 0 { return base &+ lo.trailingZeroBitCount &>> 3 }
                if hi != 0 { return base &+ 8 &+ hi.trailingZeroBitCount &>> 3 }
            }
            return trig[Int(p[n &- 1])] != 0 ? n &- 1 : n
        }
        while i < n && trig[Int(p[i])] == 0 { i &+= 1 }
        return i
    }

    /// The dictionary look-up (`lookUpUserTerm`), user patterns and literal dictionary terms
    /// (`LiteralTerms`) that may start at the word start `i`.
    mutating func tryUserRules(_ i: Int, _ cfg: DetectorConfig) {
        let b = Int(p[i])
        // Most such words start no key: turned away by their first two bytes.
        if cfg.lookupFirst[b] && mayStartKey(i) { lookUpUserTerm(i) }
        if cfg.hasPatterns { tryPatterns(i, b, cfg) }
        if cfg.hasLiterals { tryLiterals(i, cfg) }
    }

    mutating func tryPatterns(_ i: Int, _ b: Int, _ cfg: DetectorConfig) {
        // Through the buffer: copying a `UserPattern` out of the array retained its arrays.
        cfg.patterns.withUnsafeBufferPointer { patterns in
            for k in cfg.patternsByFirst[b] {
                let k = Int(k)
                if let e = patterns[k].match(p, n, i), e > i {
                    if patterns[k].wordBoundary && !WordClass.isBoundary(p, n, e) { continue }
                    emit(patterns[k].kind, i, e, score(patterns[k].score, patterns[k].context, before: i))
                }
            }
        }
    }

    /// The longest literal term that starts at `i`; at equal length the first dictionary's.
    mutating func tryLiterals(_ i: Int, _ cfg: DetectorConfig) {
        guard let (k, length) = cfg.literals.longest(p, n, i) else { return }
        let d = cfg.dictionaries[cfg.literals.terms[k].dictionary]
        emit(d.kind, i, i + length, score(d.score, d.context, before: i))
    }

    /// A multi-byte character at `i`: a word of its class starts here unless the character before
    /// is of the same class; punctuation and symbols (`。`, `：`, `…`) are passed over. A CJK word
    /// after ASCII letters is a word of its own ("Tokyo東京"), looked up like a capitalised one.
    @inline(never)
    mutating func multiByteWord(_ i: Int) -> Int {
        let (k, e) = wordClass(i)
        if k == WordClass.nonWord { return e }
        if k == WordClass.other && !setup.otherScriptWords {
            // Text of another script starts no built-in entity and, here, no gazetteer or dictionary
            // word: passed over without decoding, up to the next ASCII byte or two-byte lead byte
            // (Latin, Greek, Cyrillic … letters, which start words of their own: "東京Émile").
            var j = e
            while j < n && p[j] >= 0x80 && !(p[j] >= 0xC2 && p[j] <= 0xDF) { j += 1 }
            return j
        }
        if i > 0 && WordClass.of(p, n, i - 1) == k { return skipWord(i) }
        return capitalized(i)
    }

    // MARK: Digits inside a word (bech32 "bc1…"), else skip the word

    mutating func midWordDigit(_ i: Int) -> Int {
        if p[i] == 49, i >= 2, i == 2 || !isWord(i - 3) {
            let a = p[i - 2] | 0x20, b = p[i - 1] | 0x20
            if (a == 98 && b == 99) || (a == 116 && b == 98) {  // "bc" / "tb"
                let e = skipAlnum(i)
                if e - (i - 2) >= 14 && Checksums.bech32(UnsafeBufferPointer(start: p + i - 2, count: e - i + 2)) {
                    emit(Kind.crypto, i - 2, e, 1.0)
                    return e
                }
            }
        }
        // A hex token that began with letters ("db8:", "fe80::1", "aa:bb:…") is handled at its separator.
        return skipWord(i)
    }

    // MARK: Numbers

    mutating func numeric(_ s: Int) -> Int {
        let d = digitsEnd(s)
        // The digits are alphanumeric, so the token ends where the alphanumerics after them do.
        let r = skipAlnum(d)
        if d < r {
            // Mixed alphanumeric token.
            if p[s] == 48 && (at(s + 1) | 0x20) == 120 {  // 0x…
                if r - s == 42 && !isWord(r) && enabled[Int(Kind.crypto)]
                    && Checksums.ethereum(Array(UnsafeBufferPointer(start: p + s + 2, count: 40)))
                {
                    emit(Kind.crypto, s, r, 1.0)
                    return r
                }
                return skipWord(s)
            }
            if (p[s] == 49 || p[s] == 51) && r - s >= 25 && r - s <= 35 && !isWord(r) && enabled[Int(Kind.crypto)]
                && Checksums.base58Check(Array(UnsafeBufferPointer(start: p + s, count: r - s)))
            {
                emit(Kind.crypto, s, r, 1.0)
                return r
            }
            if d - s <= 2 && r - d == 2 && isOrdinal(d) {
                if let e = dayFirstDate(s, d, r) { return e }
                return r
            }
            let sep = at(r)
            if sep == 58 || sep == 45 || sep == 46 {
                if let e = hexAddress(s) { return e }
            }
            return skipWord(s)
        }
        if isWord(d) { return skipWord(d) }  // digits then non-ASCII letters
        let sep = at(d)
        // Fast exit: a lone short number can only start a day-first date; everything else needs at
        // least nine digits or a second group. "10 minutes" and "3 items" end here without the call.
        if isShortNumber(s, d, sep) {
            if dayMayFollow(s, d, sep), let e = dayFirstDate(s, d, d) { return e }
            return d
        }
        if sep == 58 || ((sep == 45 || sep == 46) && (d - s == 2 || d - s == 4)) {
            if let e = hexAddress(s) { return e }
        }
        if sep == 40 && p[s] == 48, let e = bracketedPhone(s, d) { return e }
        return numberGroups(s)
    }

    /// A national number with its middle group in brackets, as written in Japan: a trunk `0` and the
    /// area code, the local exchange in brackets, then the line number ("0467(94)9600",
    /// "090(7280)4993"); ten or eleven digits. `d` ends the first group, at the `(`.
    mutating func bracketedPhone(_ s: Int, _ d: Int) -> Int? {
        guard enabled[Int(Kind.phone)], d - s >= 2, d - s <= 5 else { return nil }
        let m = digitsEnd(d + 1)
        guard m - d - 1 >= 1, m - d - 1 <= 4, at(m) == 41, isDigit(m + 1) else { return nil }
        let e = digitsEnd(m + 1)
        let total = (d - s) + (m - d - 1) + (e - m - 1)
        guard e - m - 1 == 4, total == 10 || total == 11, !isWord(e), !(at(e) == 46 && isDigit(e + 1)) else { return nil }
        let end = extensionAfter(e)
        emit(Kind.phone, s, end, 0.75)
        return end
    }

    func isOrdinal(_ d: Int) -> Bool {
        let a = at(d) | 0x20, b = at(d + 1) | 0x20
        return (a == 115 && b == 116) || (a == 110 && b == 100) || (a == 114 && b == 100) || (a == 116 && b == 104)
    }

    /// Digit groups separated by single spaces, dashes, dots or slashes, tried longest first.
    mutating func numberGroups(_ s: Int) -> Int {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 24) { buf in
            let base = buf.baseAddress!
            base.initialize(repeating: 0, count: 24)
            return numberGroups(s, lens: Fixed8(base: base), seps: Fixed8(base: base + 8), starts: Fixed8(base: base + 16))
        }
    }

    mutating func numberGroups(_ s: Int, lens: Fixed8, seps: Fixed8, starts: Fixed8) -> Int {
        var ng = 0
        var j = s
        var total = 0
        while ng < 8 {
            let gs = j
            j = digitsEnd(j)
            starts[ng] = gs
            lens[ng] = j - gs
            total += j - gs
            ng += 1
            if total > 19 { break }
            let b = at(j)
            if (b == 32 || b == 45 || b == 46 || b == 47) && isDigit(j + 1) {
                seps[ng - 1] = Int(b)
                j += 1
                continue
            }
            break
        }
        let groupsEnd = starts[ng - 1] + lens[ng - 1]
        // Part of a larger number or a price: "1,299.99", "$45", "#123".
        let before = at(s - 1)
        if (before == 44 || before == 46 || before == 47 || before == 45) && isDigit(s - 2) {
            return resumeAfterFailedGroups(ng, seps: seps, starts: starts, groupsEnd)
        }
        let priceOrRef = before == 36 || before == 35 || (before == 0xA3 && at(s - 2) == 0xC2)
            || (before == 0xAC && at(s - 2) == 0x82)

        var k = ng
        while k >= 1 {
            defer { k -= 1 }
            let e = starts[k - 1] + lens[k - 1]
            let a = at(e)
            // A letter right after the digits ends most candidates; "T" may start a time after a date
            // and "x" a phone extension.
            let dateT = a == 84 && isDigit(e + 1)
            // (Not a lone "0" before it: "0x…" starts a hex token, an Ethereum address.)
            let phoneX = a == 120 && isDigit(e + 1) && !(lens[k - 1] == 1 && p[starts[k - 1]] == 48)
            if isWord(e) && !dateT && !phoneX {
                if k == 1 && lens[0] <= 2 && a != 0 && isAlpha(e) { break }
                continue
            }
            let glued = dateT || phoneX
            let sep0 = UInt8(truncatingIfNeeded: seps[0])
            var uniform = true
            for g in 0..<max(0, k - 1) where seps[g] != sep0 { uniform = false }

            // IPv4, with a prefix length ("10.0.0.0/8", part of the address) or a port ("…:8080", not).
            if k == 4 && uniform && sep0 == 46 && lens[0] <= 3 && lens[1] <= 3 && lens[2] <= 3 && lens[3] <= 3
                && !((a == 44 || a == 46 || a == 45) && isDigit(e + 1))
            {
                var ok = true
                for g in 0..<4 where digitsValue(starts[g], starts[g] + lens[g]) > 255 { ok = false }
                if ok && !contextBefore(s, 12, Context.version) {
                    let end = a == 47 ? prefixLength(after: e, max: 32) ?? e : e
                    emit(Kind.ip, s, end, 0.95)
                    return end
                }
                continue
            }
            if (a == 44 || a == 46 || a == 45 || a == 47 || a == 58) && isDigit(e + 1) { continue }
            var sum = 0
            for g in 0..<k { sum += lens[g] }
            // Numeric dates, optionally followed by a time.
            if k == 3 && uniform && (sep0 == 45 || sep0 == 47 || sep0 == 46) && setup.numericDates && !phoneX {
                if let de = numericDate(starts, lens, sep0) {
                    let te = timeAfter(de)
                    if !(dateT && te == de) {
                        emit(Kind.date, s, te, 0.85)
                        return te
                    }
                }
            }
            // Month and year, month and day ("5/2021", "05/21"): reported with low scores, as Presidio
            // does (0.2, 0.1): as often a fraction, a ratio or "24/7".
            if k == 2 && sep0 == 47 && setup.numericDates && !glued && !priceOrRef && lens[0] <= 2 {
                let a0 = digitsValue(starts[0], starts[0] + lens[0]), b0 = digitsValue(starts[1], e)
                if (1...12).contains(a0) && ((lens[1] == 4 && (1900...2099).contains(b0)) || (lens[1] == 2 && (1...31).contains(b0))) {
                    emit(Kind.date, s, e, lens[1] == 4 ? 0.2 : 0.1)
                    return e
                }
            }
            if priceOrRef || dateT { continue }
            if glued {
                if let pe = nationalPhone(s, starts, lens, seps, k, sum) { return pe }
                continue
            }
            var digits = DigitBuffer()
            if sum == 9 || sum == 10 || (sum >= 13 && sum <= 19) { digits.fill(p, starts, lens, k) }
            // Cards: 13–19 digits, one group or groups of 3–6 joined by one kind of space or dash.
            if sum >= 13 && sum <= 19 && (k == 1 || (uniform && (sep0 == 32 || sep0 == 45))) {
                var shapeOK = true
                if k > 1 { for g in 0..<k where lens[g] < 3 || lens[g] > 6 { shapeOK = false } }
                if k > 1 && lens[0] != 4 { shapeOK = false }
                if shapeOK && digits.check({ Checksums.plausibleCardIIN($0) && Checksums.luhn($0) }) {
                    emit(Kind.card, s, e, 1.0)
                    return e
                }
            }
            // SSN and ITIN: 3-2-4 or nine digits with context.
            if sum == 9 {
                let shaped = k == 3 && uniform && (sep0 == 45 || sep0 == 32 || sep0 == 46) && lens[0] == 3 && lens[1] == 2
                let bare = k == 1
                if shaped || bare {
                    if digits.first == 57 {
                        if digits.check({ Checksums.usITIN($0) }) && (shaped || contextBefore(s, 32, Context.itin)) {
                            emit(Kind.itin, s, e, shaped ? 0.95 : 0.8)
                            return e
                        }
                    } else if digits.check({ Checksums.usSSN($0) }) && (shaped || contextBefore(s, 32, Context.ssn)) {
                        if !(shaped && sep0 == 32 && contextBefore(s, 24, Context.phone) && !contextBefore(s, 32, Context.ssn)) {
                            emit(Kind.ssn, s, e, shaped ? 0.95 : 0.8)
                            return e
                        }
                    }
                }
            }
            // NHS numbers: 3-3-4 or ten digits, modulus 11, and context or the NHS spacing.
            if sum == 10 && (k == 1 || (k == 3 && uniform && (sep0 == 32 || sep0 == 45) && lens[0] == 3 && lens[1] == 3))
                && enabled[Int(Kind.nhs)] && digits.check({ Checksums.ukNHS($0) })
            {
                let ctx = contextBefore(s, 48, Context.nhs)
                // The NHS spacing, or dashes where a US number cannot be one (NANP area and exchange
                // codes start with 2–9: "401-023-2137").
                let spaced = k == 3 && sep0 == 32
                let dashed = k == 3 && sep0 == 45 && !(p[s] >= 50 && p[starts[1]] >= 50)
                if ctx || ((spaced || dashed) && !contextBefore(s, 32, Context.phone)) {
                    emit(Kind.nhs, s, e, ctx ? 0.95 : (spaced ? 0.7 : 0.6))
                    return e
                }
            }
            // National phone formats.
            if let pe = nationalPhone(s, starts, lens, seps, k, sum) {
                return pe
            }
            // Nine digits that are nothing else, bare or as 3-6 / 5-4 with a dash: an SSN or ITIN
            // without context, reported with Presidio's low scores (0.3, 0.05).
            let weakShape = k == 2 && sep0 == 45 && ((lens[0] == 3 && lens[1] == 6) || (lens[0] == 5 && lens[1] == 4))
            if sum == 9 && (k == 1 || weakShape) {
                let itin = digits.first == 57
                if itin ? digits.check({ Checksums.usITIN($0) }) : digits.check({ Checksums.usSSN($0) }) {
                    emit(itin ? Kind.itin : Kind.ssn, s, e, k == 1 ? 0.3 : 0.05)
                    return e
                }
            }
        }
        // "15 July 1982", "3. März 2020", "15 de julio de 1982"
        if lens[0] <= 2 && setup.longDates, let e = dayFirstDate(s, s + lens[0], s + lens[0]) { return e }
        return resumeAfterFailedGroups(ng, seps: seps, starts: starts, groupsEnd)
    }

    /// Where scanning resumes when no candidate that starts with the first of `ng` digit groups
    /// matched: at the space before the first later group that follows a space, so that a number
    /// there is tried from its own start ("since 1982 192.168.1.1", "ref 77 4111 1111 1111 1111",
    /// "in 2024 536-90-4128" — the groups after the year were passed over and the address, card or
    /// SSN missed); else at the separator before the last group when letters follow it, so that
    /// the token it starts is tried ("31/0x5aAe…", an Ethereum address); else after all the groups
    /// (a later group after `-`, `.` or `/` and a digit is part of the same number, which
    /// `numberGroups` refuses to start inside).
    func resumeAfterFailedGroups(_ ng: Int, seps: Fixed8, starts: Fixed8, _ groupsEnd: Int) -> Int {
        for g in 1..<max(1, ng) where seps[g - 1] == 32 { return starts[g] - 1 }
        if ng > 1 && isAlpha(groupsEnd) { return starts[ng - 1] - 1 }
        return groupsEnd
    }

    /// The end of a prefix length after the `/` at `e` ("/24", at most `max`), or nil when none is there
    /// (then the address ends at `e`: "10.0.0.0/123").
    func prefixLength(after e: Int, max: Int) -> Int? {
        guard at(e) == 47, isDigit(e + 1) else { return nil }
        let pe = digitsEnd(e + 1)
        guard pe - e - 1 <= 3, digitsValue(e + 1, pe) <= max, !isWord(pe), !(at(pe) == 46 && isDigit(pe + 1))
        else { return nil }
        return pe
    }

    func numericDate(_ starts: Fixed8, _ lens: Fixed8, _ sep: UInt8) -> Int? {
        let a = digitsValue(starts[0], starts[0] + lens[0])
        let b = digitsValue(starts[1], starts[1] + lens[1])
        let c3 = digitsValue(starts[2], starts[2] + lens[2])
        let end = starts[2] + lens[2]
        if lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2 {
            if (1900...2099).contains(a) && (1...12).contains(b) && (1...31).contains(c3) { return end }
            return nil
        }
        if lens[0] <= 2 && lens[1] <= 2 && (lens[2] == 4 || (lens[2] == 2 && sep != 45)) {
            if lens[2] == 4 && !(1900...2099).contains(c3) { return nil }
            let dm = (1...31).contains(a) && (1...12).contains(b)
            let md = (1...12).contains(a) && (1...31).contains(b)
            if dm || md { return end }
        }
        return nil
    }

    /// Extends a date with a following time: `T10:22`, ` 10:22:01`, `.123`, `Z` or `±hh:mm`.
    func timeAfter(_ e: Int) -> Int {
        let b = at(e)
        guard b == 84 || b == 32 else { return e }
        var j = e + 1
        guard isDigit(j), isDigit(j + 1), at(j + 2) == 58, isDigit(j + 3), isDigit(j + 4) else { return e }
        j += 5
        if at(j) == 58 && isDigit(j + 1) && isDigit(j + 2) {
            j += 3
            if at(j) == 46 && isDigit(j + 1) {
                j += 1
                while isDigit(j) { j += 1 }
            }
        }
        if at(j) == 90 {
            j += 1
        } else if (at(j) == 43 || at(j) == 45) && isDigit(j + 1) && isDigit(j + 2) {
            j += 3
            if at(j) == 58 && isDigit(j + 1) && isDigit(j + 2) { j += 3 } else if isDigit(j) && isDigit(j + 1) { j += 2 }
        }
        if isAlnum(j) { return e }
        return j
    }

    mutating func nationalPhone(_ s: Int, _ starts: Fixed8, _ lens: Fixed8, _ seps: Fixed8, _ k: Int, _ total: Int) -> Int? {
        guard enabled[Int(Kind.phone)] else { return nil }
        for g in 0..<max(0, k - 1) where seps[g] == 47 { return nil }
        let e = starts[k - 1] + lens[k - 1]
        let lead0 = p[s] == 48
        var ok = false
        var score: Float = 0.75
        let idd = lead0 && at(s + 1) == 48  // "00" international prefix
        if k >= 2 && total >= 10 && (total <= 12 || (idd && total <= 15)) {
            if lead0 {
                ok = true
            } else if k == 3 && lens[0] == 3 && lens[1] == 3 && lens[2] == 4 {
                // NANP: area code and exchange start with 2–9.
                ok = p[s] >= 50 && p[starts[1]] >= 50
            } else if k == 4 && lens[0] == 1 && p[s] == 49 && lens[1] == 3 && lens[2] == 3 && lens[3] == 4 {
                ok = p[starts[1]] >= 50 && p[starts[2]] >= 50
            } else if k == 2 && lens[0] == 5 && lens[1] == 5 {
                ok = true
            } else if contextBefore(s, 32, Context.phone) {
                ok = true
            }
        } else if k == 1 && (total == 10 || total == 11) {
            if at(s - 1) == 61 {  // key=value: an id or a timestamp
                ok = false
            } else if contextBefore(s, 16, Context.phone) {
                ok = true
            } else if lead0 {
                ok = true
                score = 0.6
            }
        } else if k == 1 && total == 9 && lead0 && at(s - 1) != 61 && contextBefore(s, 32, Context.phone) {
            // A nine-digit national number written without separators after a context word (Thai
            // "โทร：035043686"; the window is wider than for ten digits: Thai letters take three bytes).
            ok = true
            score = 0.6
        } else if k == 2 && total == 7 && lens[0] == 3 && seps[0] == 45 && contextBefore(s, 32, Context.phone) {
            ok = true
        } else if k >= 2 && total >= 8 && total <= 9 && lead0 && contextBefore(s, 32, Context.phone) {
            ok = true
        } else if k == 3 && total == 9 && lead0 && !idd && lens[0] <= 2 && lens[2] == 4 && seps[0] != 46
            && !((at(e) == 32 || at(e) == 45) && isDigit(e + 1))
        {
            // Nine-digit national numbers with a one- or two-digit trunk and area code: Thai
            // "0 2123 4567", "02 123 4567", Seoul "02-123-4567"; not the start of a longer run of
            // groups ("0 4111 1111 1111 1111" is a card after a zero).
            ok = true
            for g in 1..<max(1, k - 1) where seps[g] != seps[0] { ok = false }
            score = 0.6
        }
        guard ok else { return nil }
        let end = extensionAfter(e)
        emit(Kind.phone, s, end, score)
        return end
    }

    /// Extends a phone number with ` x123`, ` ext. 123`, ` extension 123` or ` #123`.
    func extensionAfter(_ e: Int) -> Int {
        var j = e
        if at(j) == 32 || at(j) == 44 { j += 1 }
        if at(j) == 32 { j += 1 }
        let b = at(j) | 0x20
        if b == 120 && isDigit(j + 1) {
            j += 1
        } else if b == 120 && at(j + 1) == 32 && isDigit(j + 2) {
            j += 2
        } else if b == 101 && (at(j + 1) | 0x20) == 120 && (at(j + 2) | 0x20) == 116 {
            j += 3
            if matchLower(j, "ension") { j += 6 }
            if at(j) == 46 { j += 1 }
            if at(j) == 58 { j += 1 }
            if at(j) == 32 { j += 1 }
        } else if at(j) == 35 && isDigit(j + 1) {
            j += 1
        } else {
            return e
        }
        let ds = j
        while isDigit(j) && j - ds < 6 { j += 1 }
        if j == ds || isAlnum(j) { return e }
        return j
    }

    func matchLower(_ j: Int, _ word: StaticString) -> Bool {
        let len = word.utf8CodeUnitCount
        let w = word.utf8Start
        for t in 0..<len where (at(j + t) | 0x20) != w[t] { return false }
        return true
    }

    // MARK: Phones that start with "+" or "("

    mutating func plus(_ i: Int) -> Int {
        guard enabled[Int(Kind.phone)], isDigit(i + 1), at(i + 1) != 48, !isWord(i - 1) else { return i + 1 }
        var j = i + 1
        var digits = 0
        var groups = 0
        var countryCode = 0
        while true {
            if at(j) == 40 {  // "(0)" or "(555)"
                var q = j + 1
                while isDigit(q) { q += 1 }
                if at(q) != 41 || q - j - 1 == 0 || q - j - 1 > 4 { break }
                if !(q - j - 1 == 1 && at(j + 1) == 48) { digits += q - j - 1 }
                j = q + 1
                if at(j) == 32 || at(j) == 45 { j += 1 }
                continue
            }
            let gs = j
            while isDigit(j) { j += 1 }
            if j == gs { break }
            digits += j - gs
            groups += 1
            if groups == 1 { countryCode = j - gs }
            if digits > 15 { return i + 1 }
            let b = at(j)
            // With eleven digits (a whole number with its country code, one to three digits) a group
            // after a space is another number: "+44 20 7946 0958 4111 1111 1111 1111", "… 0958 0x5aAe…".
            if (b == 32 || b == 45 || b == 46) && (isDigit(j + 1) || at(j + 1) == 40)
                && !(b == 32 && digits >= 11 && countryCode <= 3)
            {
                j += 1
                continue
            }
            if b == 40 { continue }
            break
        }
        while j > i && !isDigit(j - 1) { j -= 1 }
        guard digits >= 8 && digits <= 15, !isAlnum(j) || (at(j) == 120 && isDigit(j + 1)) else { return i + 1 }
        let end = extensionAfter(j)
        emit(Kind.phone, i, end, 0.85)
        return end
    }

    mutating func lparen(_ i: Int) -> Int {
        guard enabled[Int(Kind.phone)], isDigit(i + 1) else { return i + 1 }
        var q = i + 1
        while isDigit(q) { q += 1 }
        let areaLen = q - i - 1
        guard at(q) == 41, areaLen >= 2, areaLen <= 5 else { return i + 1 }
        var j = q + 1
        if at(j) == 32 || at(j) == 45 { j += 1 }
        var digits = areaLen
        var groups = 0
        while true {
            let gs = j
            while isDigit(j) { j += 1 }
            if j == gs { break }
            digits += j - gs
            groups += 1
            let b = at(j)
            // With ten digits a group after a space is another number ("(415) 555-2671 15 July").
            if (b == 32 || b == 45 || b == 46) && isDigit(j + 1) && groups < 4 && !(b == 32 && digits >= 10) {
                j += 1
                continue
            }
            break
        }
        while j > q && !isDigit(j - 1) { j -= 1 }
        guard groups >= 1, digits >= 9, digits <= 12, !isAlnum(j) || (at(j) == 120 && isDigit(j + 1)) else { return i + 1 }
        let end = extensionAfter(j)
        emit(Kind.phone, i, end, 0.8)
        return end
    }

    // MARK: E-mail, URL, addresses

    mutating func email(_ i: Int) -> Int {
        guard enabled[Int(Kind.email)] else { return i + 1 }
        // The local part: ASCII letters, digits and `._%+-'`, and the multi-byte letters of the
        // class of the first one met (`WordClass`): "jörg@", "иван@", "山田@", but not "連絡先：" or
        // "連絡先" before "james@".
        var s = i
        var local = WordClass.nonWord
        while s > 0 {
            let b = p[s - 1]
            if b < 0x80 {
                if cls[Int(b)] & ByteClass.alnum != 0 {
                    if local == WordClass.nonWord { local = WordClass.latin } else if local != WordClass.latin { break }
                } else if !(b == 46 || b == 95 || b == 37 || b == 43 || b == 45 || b == 39) {
                    break
                }
                s -= 1
                continue
            }
            guard let (cs, _, cp) = WordClass.decode(p, n, s - 1) else { break }
            let k = WordClass.of(scalar: cp)
            if k == WordClass.nonWord || (local != WordClass.nonWord && k != local) { break }
            local = k
            s = cs
        }
        while s < i && (p[s] == 46 || p[s] == 39) { s += 1 }
        guard s < i, p[i - 1] != 46 else { return i + 1 }
        var j = i + 1
        var labels = 0
        var lastLabelAlpha = false
        var lastLabelLen = 0
        var lastLabelStart = j
        while true {
            // A label: ASCII letters, digits and `-`, or letters of one other class (an IDN label);
            // it ends where the class changes ("example.comありがとう").
            let ls = j
            var alphaOnly = true
            var label = WordClass.nonWord
            while j < n {
                let b = p[j]
                if b < 0x80 {
                    let cb = cls[Int(b)]
                    guard cb & ByteClass.alnum != 0 || b == 45 else { break }
                    if label != WordClass.nonWord && label != WordClass.latin { break }
                    label = WordClass.latin
                    if cb & ByteClass.alpha == 0 { alphaOnly = false }
                    j += 1
                    continue
                }
                let (k, e) = wordClass(j)
                if k == WordClass.nonWord || (label != WordClass.nonWord && k != label) { break }
                label = k
                j = e
            }
            if j == ls { break }
            labels += 1
            lastLabelAlpha = alphaOnly
            lastLabelLen = j - ls
            lastLabelStart = ls
            if at(j) == 46 && isAlnum(j + 1) {
                j += 1
                continue
            }
            break
        }
        // A top-level domain of letters, or an internationalised one in punycode ("xn--p1ai").
        let punycode = lastLabelLen >= 5 && matchLower(lastLabelStart, "xn--")
        guard labels >= 2, lastLabelAlpha || punycode, lastLabelLen >= 2 else { return i + 1 }
        emit(Kind.email, s, j, 1.0)
        return j
    }

    mutating func colon(_ i: Int) -> Int {
        if at(i + 1) == 47 && at(i + 2) == 47 {
            var s = i
            while s > 0 && (cls[Int(p[s - 1])] & ByteClass.alnum != 0 || p[s - 1] == 43 || p[s - 1] == 45 || p[s - 1] == 46) {
                s -= 1
            }
            guard i - s >= 2, isAlpha(s), enabled[Int(Kind.url)] else { return i + 3 }
            return url(s, i + 3)
        }
        var s = i
        while s > 0 && i - s < 4 && isHex(s - 1) { s -= 1 }
        if isWord(s - 1) { return i + 1 }
        if let e = hexAddress(s) { return e }
        return i + 1
    }

    mutating func dot(_ i: Int) -> Int {
        if i >= 3 && (p[i - 1] | 0x20) == 119 && (p[i - 2] | 0x20) == 119 && (p[i - 3] | 0x20) == 119
            && !isWord(i - 4) && at(i - 4) != 46 && at(i - 4) != 47 && isAlnum(i + 1) && enabled[Int(Kind.url)]
        {
            return url(i - 3, i + 1)
        }
        if i >= 4 && isHex(i - 1) && isHex(i - 2) && isHex(i - 3) && isHex(i - 4) && !isWord(i - 5) {
            if let e = hexAddress(i - 4) { return e }
        }
        if setup.bareDomains, let e = bareDomain(i) { return e }
        return i + 1
    }

    /// A domain name without a scheme or `www.` around the dot at `i` ("kato.com", "google.co.il",
    /// "parker.info/about"), as Presidio reports: labels of ASCII letters, digits and `-` from a word
    /// start, the last one a common top-level domain (`isCommonTLD`), and not the local part of an
    /// e-mail address or part of a longer token (a path, a key, an identifier). Reported as a URL with
    /// score 0.6, below the 0.95 of a URL with a scheme or `www.`, so that a policy can drop them by
    /// `min_score` or turn them off (`urls: {bare_domains: false}`).
    @inline(never)
    mutating func bareDomain(_ i: Int) -> Int? {
        // Most dots that get here are in version numbers ("v1.2.3"): a label after the dot starts
        // with a letter, so they end at one test.
        guard isAlpha(i + 1) else { return nil }
        // The labels after the dot first: an e-mail's local part ("ann.lee@") ends at "@".
        var j = i
        var last = i + 1
        while at(j) == 46 && isAlnum(j + 1) {
            j += 1
            last = j
            while isAlnum(j) || (at(j) == 45 && isAlnum(j + 1)) { j += 1 }
        }
        let a = at(j)
        if isWord(j) || a == 64 || a == 45 || a == 58 || a == 92 { return nil }
        guard isCommonTLD(last, j) else { return nil }
        var s = i
        while s > 0 && (isAlnum(s - 1) || (p[s - 1] == 45 && s - 1 > 0 && isAlnum(s - 2))) { s -= 1 }
        guard s < i, isAlnum(s) else { return nil }
        let b = at(s - 1)
        // "a.b.example.com" is looked at from its first dot; "@", "/", ":" and the like put the name
        // inside something else (an address, a path, a key).
        if isWord(s - 1) || b == 46 || b == 64 || b == 47 || b == 58 || b == 45 || b == 92 || b == 35 || b == 36
            || b == 37 || b == 38 || b == 61 || b == 126 || b == 43
        {
            return nil
        }
        if a == 47 { return url(s, s, score: 0.6) }
        emit(Kind.url, s, j, 0.6)
        return j
    }

    /// Whether `p[s ..< e]` (any case) is a common generic or country top-level domain. Country codes
    /// that are also common file extensions (`.md`, `.py`, `.sh`, `.rs`, `.pl`, `.ai`, `.cc`) are left
    /// out: "README.md" is a file name.
    func isCommonTLD(_ s: Int, _ e: Int) -> Bool {
        let len = e - s
        guard len >= 2 && len <= 6 else { return false }
        var key: UInt64 = 0
        for k in s..<e {
            let c = p[k] | 0x20
            guard c &- 97 < 26 else { return false }
            key = key << 8 | UInt64(c)
        }
        return Scanner.commonTLDs.contains(key)
    }

    static let commonTLDs: Set<UInt64> = {
        let names = [
            "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "co", "me", "tv", "app", "dev",
            "online", "site", "shop", "store", "tech", "cloud", "us", "uk", "de", "fr", "jp", "cn", "kr", "br", "ru",
            "es", "it", "nl", "ch", "at", "be", "se", "no", "dk", "fi", "au", "ca", "nz", "il", "eu", "mx", "ar",
            "tw", "hk", "sg", "vn", "pt", "ie", "gr", "tr", "za", "in", "th", "id", "my", "ph", "cz", "hu", "ro",
        ]
        return Set(names.map { $0.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } })
    }()

    mutating func dash(_ i: Int) -> Int {
        if i >= 2 && isHex(i - 1) && isHex(i - 2) && !isWord(i - 3) && at(i + 3) == 45 {
            if let e = hexAddress(i - 2) { return e }
        }
        return i + 1
    }

    /// Where the multi-byte character at `j` ends if it continues a URL, else nil: punctuation and
    /// symbols (curly quotes, `。`, `）`) end a URL, and so does text of another script glued to its
    /// letters ("example.comありがとう"); a path may hold such text after a separator ("/wiki/東京").
    @inline(never)
    func urlCharacterEnd(_ j: Int) -> Int? {
        let (k, e) = wordClass(j)
        if k == WordClass.nonWord || (k == WordClass.other && isWord(j - 1)) { return nil }
        return e
    }

    mutating func url(_ s: Int, _ hostStart: Int, score: Float = 0.95) -> Int {
        var j = hostStart
        while j < n {
            let b = p[j]
            if b <= 32 || b == 60 || b == 62 || b == 34 || b == 96 || b == 127 { break }
            if b >= 0x80 {
                guard let e = urlCharacterEnd(j) else { break }
                j = e
                continue
            }
            j += 1
        }
        var e = j
        while e > hostStart {
            let b = p[e - 1]
            if b == 46 || b == 44 || b == 59 || b == 58 || b == 33 || b == 63 || b == 39 || b == 93 || b == 125 {
                e -= 1
            } else if b == 41 {
                var open = 0, close = 0
                for q in hostStart..<e {
                    if p[q] == 40 { open += 1 } else if p[q] == 41 { close += 1 }
                }
                if close > open { e -= 1 } else { break }
            } else {
                break
            }
        }
        guard e - hostStart >= 3 else { return j }
        var hasDot = false
        for q in hostStart..<e where p[q] == 46 || p[q] == 58 {
            hasDot = true
            break
        }
        guard hasDot else { return j }
        emit(Kind.url, s, e, score)
        return max(e, hostStart)
    }

    /// MAC (`aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff`) or IPv6 starting at `s`.
    mutating func hexAddress(_ s: Int) -> Int? {
        // MAC with ':' or '-'
        if isHex(s) && isHex(s + 1) && (at(s + 2) == 58 || at(s + 2) == 45) {
            let sep = at(s + 2)
            var ok = true
            for g in 1..<6 {
                let q = s + 3 * g
                if !(at(q - 1) == sep && isHex(q) && isHex(q + 1)) {
                    ok = false
                    break
                }
            }
            let e = s + 17
            if ok && !isWord(e) && !(at(e) == sep && isHex(e + 1)) {
                // The broadcast and the all-zero address identify no device.
                var allFF = true, allZero = true
                for g in 0..<6 {
                    let q = s + 3 * g
                    if (p[q] | 0x20) != 102 || (p[q + 1] | 0x20) != 102 { allFF = false }
                    if p[q] != 48 || p[q + 1] != 48 { allZero = false }
                }
                if allFF || allZero { return e }
                emit(Kind.mac, s, e, 0.95)
                return e
            }
        }
        // Cisco dotted MAC
        if at(s + 4) == 46 && at(s + 9) == 46 {
            var ok = true
            for off in 0..<14 where off != 4 && off != 9 && !isHex(s + off) { ok = false }
            if ok && !isWord(s + 14) && !(at(s + 14) == 46 && isAlnum(s + 15)) {
                emit(Kind.mac, s, s + 14, 0.9)
                return s + 14
            }
        }
        return ipv6(s)
    }

    mutating func ipv6(_ s: Int) -> Int? {
        // Not inside a longer run of hex groups whose start failed ("text2001:db8::1", "12345:db8::1",
        // "2001::db8::1").
        guard enabled[Int(Kind.ip)], !(at(s - 1) == 58 && (isHex(s - 2) || at(s - 2) == 58)) else { return nil }
        var j = s
        var groups = 0
        var compressed = false
        var hexDigits = 0
        if at(j) == 58 {
            guard at(j + 1) == 58 else { return nil }
            compressed = true
            j += 2
        }
        var end = j
        while true {
            // Embedded IPv4 tail.
            var q = j
            while isDigit(q) && q - j < 3 { q += 1 }
            if q > j && at(q) == 46 && (compressed ? groups <= 5 : groups == 6) {
                if let e4 = ipv4At(j) {
                    groups += 2
                    end = e4
                    break
                }
            }
            let gs = j
            while isHex(j) && j - gs < 4 { j += 1 }
            if j == gs { break }
            if isAlnum(j) { return nil }
            hexDigits += j - gs
            groups += 1
            end = j
            if at(j) == 58 && at(j + 1) == 58 && !compressed {
                compressed = true
                j += 2
                end = j
                continue
            }
            if at(j) == 58 && isHex(j + 1) {
                j += 1
                continue
            }
            break
        }
        let prefix = prefixLength(after: end, max: 128)
        guard groups <= 8, compressed ? groups <= 7 : groups == 8 else { return nil }
        // "::" alone (the unspecified address) is reported with a low score, as Presidio does: it is
        // as often an operator in code ("a :: b"); not after or before another colon (":::").
        let bare = groups == 0 && prefix == nil
        if bare && (at(s - 1) == 58 || at(end) == 58 || isWord(end) || isWord(s - 1)) { return nil }
        // An address is not the start of an invalid one: a second "::" ("2001::db8::1") or an IPv4
        // tail that failed ("::ffff:256.0.0.1").
        // Nor a hex group before a dash and more ("DB8::5555-5555-5555-4444").
        if isWord(end) || (at(end) == 58 && (isHex(end + 1) || at(end + 1) == 58)) || (at(end) == 46 && isDigit(end + 1))
            || (at(end) == 45 && isHex(end + 1))
        {
            return nil
        }
        // "a::b"-like fragments in code: require either 3+ groups or a compressed form with 2+ hex digits.
        if groups < 3 && hexDigits < 4 && !(compressed && at(s) == 58) { return nil }
        if at(end) == 37 && isAlnum(end + 1) {  // zone index
            end += 1
            while isAlnum(end) { end += 1 }
        } else if let prefix {
            end = prefix
        }
        emit(Kind.ip, s, end, bare ? 0.1 : 0.95)
        return end
    }

    func ipv4At(_ s: Int) -> Int? {
        var j = s
        for g in 0..<4 {
            let gs = j
            while isDigit(j) && j - gs < 3 { j += 1 }
            if j == gs || digitsValue(gs, j) > 255 { return nil }
            if g < 3 {
                if at(j) != 46 { return nil }
                j += 1
            }
        }
        if isWord(j) || (at(j) == 46 && isDigit(j + 1)) { return nil }
        return j
    }

    // MARK: Capitalised words: IBAN, months, names, places, user dictionaries

    /// The end of the word of letters that starts at `i`: ASCII letters and letters of the scripts
    /// written with spaces, or letters of one other script (`WordClass`: "東京" in "Tokyo東京です" is a
    /// word of its own). Punctuation ends a word (’ “ … « NBSP); an en dash between capitals joins one.
    func wordEnd(_ i: Int) -> Int {
        var j = i
        let k = i < n && p[i] >= 0x80 ? wordClass(i).0 : WordClass.latin
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if k == WordClass.latin && cls[Int(b)] & ByteClass.alpha != 0 {
                    j += 1
                } else if k == WordClass.latin && (b == 39 || b == 45) && isUpper(j + 1) {
                    j += 1  // O'Brien, Jean-Luc
                } else {
                    break
                }
                continue
            }
            if b == 0xE2 && at(j + 1) == 0x80 && at(j + 2) == 0x93 && isUpper(j + 3) && k == WordClass.latin {
                j += 3
                continue
            }
            let (c, e) = wordClass(j)
            if c != k || c == WordClass.nonWord { break }
            j = e
        }
        return j
    }

    mutating func capitalized(_ i: Int) -> Int {
        // IBAN: two capitals and two check digits.
        if isUpper(i) && isUpper(i + 1) && isDigit(i + 2) && isDigit(i + 3) {
            if let e = iban(i) { return e }
            return skipWord(i)
        }
        if (p[i] == 66 && at(i + 1) == 67 && at(i + 2) == 49) || (p[i] == 84 && at(i + 1) == 66 && at(i + 2) == 49) {
            let e = skipAlnum(i)
            if e - i >= 14 && Checksums.bech32(UnsafeBufferPointer(start: p + i, count: e - i)) {
                emit(Kind.crypto, i, e, 1.0)
                return e
            }
        }
        if isHex(i) && isHex(i + 1) {
            var h = i
            while isHex(h) && h - i < 4 { h += 1 }
            if at(h) == 58 || (h == i + 2 && at(h) == 45) || (h == i + 4 && at(h) == 46) {
                if let e = hexAddress(i) { return e }
            }
        }
        let we = wordEnd(i)
        if we == i || isDigit(we) || at(we) == 95 { return skipWord(i) }
        return capitalizedWord(i, we, WordFlags(rawValue: lookupMeaningful(p + i, we - i)))
    }

    /// The rest of `capitalized(i)` once the word `i ..< we` and its gazetteer flags are known (the
    /// main loop's capital fast path enters here with the flags it looked up).
    @inline(__always)
    mutating func capitalizedWord(_ i: Int, _ we: Int, _ f: WordFlags) -> Int {
        if setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm),
           let e = userTerm(i, we, f.rawValue) { return e }
        if f.isEmpty { return we }
        if f.contains(.month) && setup.longDates, let e = monthFirstDate(i, we) { return e }
        if f.contains(.stop) && !f.contains(.locationPrefix) && !f.contains(.location) { return we }
        if f.contains(.title) { return titledName(i, we) }
        let locCtx = (f.contains(.location) || f.contains(.locationPrefix)) && contextBefore(i, 14, Context.locationBefore)
        if locCtx, let e = location(i, we, f, true) { return e }
        if f.contains(.firstName), let e = personFrom(i, we, f) { return e }
        if f.contains(.location) || f.contains(.locationPrefix), let e = location(i, we, f, false) { return e }
        return we
    }

    /// An IBAN at `i`: reported and its end returned when valid. An invalid one of twelve characters
    /// or more is passed over whole (its end returned, nothing reported), so that its digit groups are
    /// not read as a phone or card number ("KW81 CBKU 0000 0000 0000 1234 5601 02"); nil otherwise.
    mutating func iban(_ i: Int) -> Int? {
        guard enabled[Int(Kind.iban)], let len = Checksums.ibanLength(p[i], p[i + 1]) else { return nil }
        // The alphanumerics without their spaces, gathered in stack memory (IBANs have at most 34).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { chars -> Int? in
            var count = 0
            var j = i
            var lastChar = i
            // Groups of four after spaces or dashes, one kind throughout.
            var sep: UInt8 = 0
            while j < n && count < len {
                let b = p[j]
                let cb = cls[Int(b)]
                if cb & (ByteClass.digit | ByteClass.upper) != 0 {
                    chars[count] = b
                    count += 1
                    j += 1
                    lastChar = j
                } else if (b == 32 || b == 45) && (sep == 0 || sep == b) && count % 4 == 0 && count > 0 && isAlnum(j + 1) {
                    sep = b
                    j += 1
                } else {
                    break
                }
            }
            guard count == len, !isAlnum(lastChar),
                Checksums.ibanMod97(UnsafeBufferPointer(rebasing: chars[0..<count]))
            else { return count >= 12 ? lastChar : nil }
            emit(Kind.iban, i, lastChar, 1.0)
            return lastChar
        }
    }

    /// The end of the word after one space at `e`, or nil (a phrase's next word).
    func nextWordEnd(_ e: Int) -> Int? {
        guard at(e) == 32, isWord(e + 1) else { return nil }
        let nw = wordEnd(e + 1)
        return nw > e + 1 ? nw : nil
    }

    /// The next capitalised word after one space, or nil.
    func nextCapitalized(_ e: Int) -> (Int, Int)? {
        guard at(e) == 32, isUpper(e + 1) || (at(e + 1) >= 0xC3 && at(e + 1) <= 0xC5) else { return nil }
        let we = wordEnd(e + 1)
        guard we > e + 2, !isDigit(we) else { return nil }
        return (e + 1, we)
    }

    /// A title ("Mr", "Dr.") and the one or two capitalised words after it as a person; when the next
    /// word starts a user dictionary term, scanning resumes after the title instead.
    mutating func titledName(_ i: Int, _ we: Int) -> Int {
        var e = we
        if at(e) == 46 { e += 1 }
        guard let (s1, e1) = nextCapitalized(e) else { return e }
        var end = e1
        let f1 = WordFlags(rawValue: lookup(p + s1, e1 - s1))
        if f1.contains(.stop) || f1.contains(.month) || startsUserTerm(s1, e1, f1) { return e }
        if let (s2, e2) = nextCapitalized(e1) {
            let f2 = WordFlags(rawValue: lookup(p + s2, e2 - s2))
            if !f2.contains(.stop) && !f2.contains(.month) && !startsUserTerm(s2, e2, f2) { end = e2 }
        }
        emit(Kind.person, s1, end, 0.85)
        return end
    }

    mutating func personFrom(_ i: Int, _ we: Int, _ f: WordFlags) -> Int? {
        var e = we
        var score: Float = 0
        // Optional middle initial ("John F. Kennedy") or surname particles ("Indy van Ham", "María de la Cruz").
        var probe = e
        if at(probe) == 32 && isUpper(probe + 1) && at(probe + 2) == 46 && at(probe + 3) == 32 { probe += 3 }
        var particles = 0
        while particles < 3 && at(probe) == 32 && isLower(probe + 1) {
            let pe = wordEnd(probe + 1)
            // From the flat arena: a closure over the word arrays retained and released each one.
            guard Context.particles.containsExactly(p, probe + 1, pe - probe - 1) else { break }
            probe = pe
            particles += 1
        }
        if let (s2, e2) = nextCapitalized(probe), case let f2 = WordFlags(rawValue: lookup(p + s2, e2 - s2)),
           !startsUserTerm(s2, e2, f2)
        {
            if f2.contains(.lastName) || (f2.contains(.firstName) && !f2.contains(.ambiguous)) || (particles > 0 && !f2.contains(.stop)) {
                e = e2
                score = 0.9
            } else if !f2.contains(.stop) && !f2.contains(.month) && !f2.contains(.location) && !f.contains(.ambiguous)
                && e2 - s2 >= 3
            {
                e = e2
                score = 0.7
            }
            if score > 0, let (s3, e3) = nextCapitalized(e) {
                let f3 = WordFlags(rawValue: lookupMeaningful(p + s3, e3 - s3))
                if f3.contains(.lastName) && !f3.contains(.stop) && !startsUserTerm(s3, e3, f3) { e = e3 }
            }
        }
        if score == 0 {
            // A first name alone needs a context word before it, or a speech verb or comma after it.
            if contextBefore(i, 16, Context.personBefore) {
                score = 0.75
            } else if !f.contains(.ambiguous) && (at(we) == 44 || at(we) == 58) && i > 0 {
                score = 0.6
            } else if !f.contains(.ambiguous) && at(we) == 32
                && (matchLower(we + 1, "said") || matchLower(we + 1, "wrote") || matchLower(we + 1, "asked")
                    || matchLower(we + 1, "says") || matchLower(we + 1, "will ") || matchLower(we + 1, "is "))
            {
                score = 0.6
            }
        }
        guard score > 0 else { return nil }
        emit(Kind.person, i, e, score)
        return e
    }

    mutating func location(_ i: Int, _ we: Int, _ f: WordFlags, _ context: Bool) -> Int? {
        var best = f.contains(.location) ? we : -1
        var bestFlags = f
        if f.contains(.locationPrefix) {
            var e = we
            for _ in 0..<4 {
                guard let nw = nextWordEnd(e) else { break }
                e = nw
                let pf = WordFlags(rawValue: lookupMeaningful(p + i, e - i))
                if pf.contains(.location) {
                    best = e
                    bestFlags = pf
                }
                if !pf.contains(.locationPrefix) && e - i > maxKeyLength { break }
            }
        }
        guard best > 0 else { return nil }
        if bestFlags.contains(.ambiguous) && !context { return nil }
        emit(Kind.location, i, best, context ? 0.85 : 0.7)
        return best
    }

    /// The dictionary term, if any, that starts with the word at `i`, whose first byte the main loop
    /// does not look up (`DetectorConfig.lookupFirst`: a lowercase letter, or the capital of a folded
    /// key's first letter). Letters joined to a digit or `_` start no term (a bech32 address "bc1…").
    mutating func lookUpUserTerm(_ i: Int) {
        let we = wordEnd(i)
        guard we > i, !isDigit(we), at(we) != 95 else { return }
        let f = WordFlags(rawValue: lookupMeaningful(p + i, we - i))
        if setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm) { _ = userTerm(i, we, f.rawValue) }
    }

    /// Reports the longest user dictionary term that starts at `i` (see `userTermEnd`) and returns its
    /// end, or nil.
    mutating func userTerm(_ i: Int, _ we: Int, _ first: UInt32) -> Int? {
        guard let (end, value) = userTermEnd(i, we, first) else { return nil }
        let dict = Int(value >> 16)
        guard dict < cfg.dictionaries.count else { return nil }
        let d = cfg.dictionaries[dict]
        emit(d.kind, i, end, score(d.score, d.context, before: i))
        return end
    }

    /// The end and flags of the longest user dictionary term that starts at `i`, whose first word ends
    /// at `we` and has the flags `first` in `words`: exact terms from `words`, terms of
    /// case-insensitive dictionaries from `DetectorConfig.folded` over the folded text (`CaseFold`).
    /// At equal length the exact term wins; a term in several dictionaries was given the first one's
    /// index when the policy compiled. Nil when none starts there.
    func userTermEnd(_ i: Int, _ we: Int, _ first: UInt32) -> (Int, UInt32)? {
        var (best, bestValue) = phrase(i, we, first) { e in lookup(p + i, e - i) }
        if setup.hasFolded && mayStartKey(i), let folded = setup.config._withUnsafeGuaranteedRef({ $0.foldedRef }) {
            let maxLen = folded._withUnsafeGuaranteedRef { $0.maxKeyLength }
            if we - i <= maxLen {
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLen) { buf in
                    let q = buf.baseAddress!
                    var done = 0
                    // Folds the text up to `e` (lazily: most words end the phrase) and looks it up.
                    func look(_ e: Int) -> UInt32 {
                        let len = e - i
                        guard len <= maxLen else { return 0 }
                        CaseFold.fold(p + i + done, into: q + done, count: len - done)
                        done = len
                        return folded._withUnsafeGuaranteedRef { $0.lookup(q, len) }
                    }
                    let (e, v) = phrase(i, we, look(we), look)
                    if e > best { (best, bestValue) = (e, v) }
                }
            }
        }
        return best > 0 ? (best, bestValue) : nil
    }

    /// Whether a user dictionary term starts with the word `s ..< e`, whose flags in `words` are `f`
    /// (then the name recognisers leave that word to it).
    func startsUserTerm(_ s: Int, _ e: Int, _ f: WordFlags) -> Bool {
        guard setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm) else { return false }
        return userTermEnd(s, e, f.rawValue) != nil
    }

    /// The end and flags of the longest term of a table that starts at `i`: its first word ends at
    /// `we` with the flags `first`; `look(e)` gives the flags of `i ..< e`. Phrases run up to seven
    /// words joined by single spaces; (-1, 0) when no term starts there.
    func phrase(_ i: Int, _ we: Int, _ first: UInt32, _ look: (Int) -> UInt32) -> (Int, UInt32) {
        var best = -1
        var bestValue: UInt32 = 0
        if first & WordFlags.userTerm.rawValue != 0 { (best, bestValue) = (we, first) }
        guard first & WordFlags.userPrefix.rawValue != 0 else { return (best, bestValue) }
        var e = we
        for _ in 0..<6 {
            guard let nw = nextWordEnd(e) else { break }
            e = nw
            let v = look(e)
            if v & WordFlags.userTerm.rawValue != 0 { (best, bestValue) = (e, v) }
        }
        return (best, bestValue)
    }

    // MARK: Long-form dates

    /// "July 15, 1982", "Jul. 15th 1982", "July 1982", "March 3", "May-2021", "May-21".
    mutating func monthFirstDate(_ i: Int, _ we: Int) -> Int? {
        var j = we
        let dashed = at(j) == 45
        if at(j) == 46 { j += 1 }
        guard at(j) == 32 || dashed, isDigit(j + 1) else { return nil }
        j += 1
        let ds = j
        while isDigit(j) { j += 1 }
        let dl = j - ds
        if dl == 4 {
            let y = digitsValue(ds, j)
            guard (1900...2099).contains(y), !isAlnum(j) else { return nil }
            emit(Kind.date, i, j, 0.85)
            return j
        }
        guard dl <= 2, (1...31).contains(digitsValue(ds, j)) else { return nil }
        if isOrdinal(j) { j += 2 }
        if isAlnum(j) { return nil }
        var e = j
        var q = j
        if at(q) == 44 { q += 1 }
        if !dashed && at(q) == 32 && isDigit(q + 1) && isDigit(q + 2) && isDigit(q + 3) && isDigit(q + 4) && !isAlnum(q + 5) {
            let y = digitsValue(q + 1, q + 5)
            if (1900...2099).contains(y) { e = q + 5 }
        }
        emit(Kind.date, i, e, e == j ? 0.6 : 0.85)
        return e
    }

    /// "15 July 1982", "15th of July, 1982", "3. März 2020", "15 de julio de 1982", "5-May-2021",
    /// "21-MAY". `d` ends the day digits, `r` ends the day token (after an ordinal suffix).
    mutating func dayFirstDate(_ s: Int, _ d: Int, _ r: Int) -> Int? {
        guard setup.longDates, (1...31).contains(digitsValue(s, d)) else { return nil }
        var j = r
        let dashed = at(j) == 45 && r == d
        if at(j) == 46 { j += 1 }
        guard at(j) == 32 || dashed else { return nil }
        j += 1
        if !dashed && (matchLower(j, "of ") || matchLower(j, "de ")) { j += 3 }
        guard isWord(j), mayStartMonth(p[j], at(j + 1)) else { return nil }
        let me = wordEnd(j)
        // Only the month flag matters here, so the Bloom-filtered lookup may turn the word away.
        let f = WordFlags(rawValue: lookupMeaningful(p + j, me - j))
        guard f.contains(.month) else { return nil }
        var e = me
        var q = me
        if at(q) == 46 { q += 1 }
        if at(q) == 44 { q += 1 }
        if at(q) == 32 && matchLower(q + 1, "de ") { q += 3 }
        if (at(q) == 32 || (dashed && at(me) == 45 && q == me)) && isDigit(q + 1) && isDigit(q + 2) && isDigit(q + 3)
            && isDigit(q + 4) && !isAlnum(q + 5)
        {
            let y = digitsValue(q + 1, q + 5)
            if (1900...2099).contains(y) { e = q + 5 }
        }
        if e == me && at(me) == 46 && isLower(me - 1) == false { e = me }
        emit(Kind.date, s, e, e == me ? 0.6 : 0.85)
        return e
    }
}
