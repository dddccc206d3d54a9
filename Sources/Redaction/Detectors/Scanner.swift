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
        if b < Byte.firstNonASCII { return cls[Int(b)] & ByteClass.word != 0 }
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
        if j >= n || p[j] < Byte.firstNonASCII { return max(j, i + 1) }
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
            if b < Byte.firstNonASCII {
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
                let nonASCII = SIMD16<UInt8>(repeating: Byte.firstNonASCII)
                let multiByte = before .>= nonASCII .| v .>= nonASCII
                var starts = .!ByteClass.wordLanes(before) .| multiByte
                if let needles { starts .&= needles.matches(v) }
                var m = TriggerVector.maskBits(starts) & (~0 &<< UInt64(i &- base))
                while m != 0 {
                    let k = base &+ m.trailingZeroBitCount
                    m &= m &- 1
                    if (p[k &- 1] | p[k]) >= Byte.firstNonASCII && !WordClass.startsAfter(p, n, k) { continue }
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
            while j < n && p[j] >= Byte.firstNonASCII
                && !(Byte.firstTwoByteLead...Byte.lastTwoByteLead).contains(p[j])
            {
                j += 1
            }
            return j
        }
        if i > 0 && WordClass.of(p, n, i - 1) == k { return skipWord(i) }
        return capitalized(i)
    }

    // MARK: Digits inside a word (bech32 "bc1…"), else skip the word

    mutating func midWordDigit(_ i: Int) -> Int {
        if p[i] == Byte.one, i >= 2, i == 2 || !isWord(i - 3) {
            let first = p[i - 2] | Byte.caseBit, second = p[i - 1] | Byte.caseBit
            if (first == Byte.lowerB && second == Byte.lowerC) || (first == Byte.lowerT && second == Byte.lowerB) {
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
}
