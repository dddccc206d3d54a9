#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Splits text into scikit-learn's word tokens: `doc.lower()` followed by
/// `re.findall(r"(?u)\b\w\w+\b", doc)`, on bytes, with no per-call allocation once warm.
///
/// A word character is what CPython's `re` calls `\w` for `str` patterns: a character whose
/// general category is a letter (Lu, Ll, Lt, Lm, Lo), one with a numeric type (decimal, digit,
/// numeric), or `_`. Lowercasing is CPython's `str.lower()`: the full Unicode lowercase mapping
/// plus the Final_Sigma rule for U+03A3. Tokens are stored lowercased, one space apart, so that a
/// word n-gram is one contiguous byte range, exactly the string scikit-learn joins with `" "`.
///
/// A text that is all ASCII takes a vector path (`tokenizeASCII`): sixteen bytes at a time are
/// classified and lowercased with SIMD compares and copied whole (non-word bytes become spaces), and
/// token boundaries come from a 64-bit word mask, so there is no branch per byte or per token
/// boundary. Other text goes byte by byte: ASCII bytes through a 128-entry table (lowercase, word,
/// cased, case-ignorable), non-ASCII scalars through the Unicode-properties path.
struct TextTokenizer {
    /// Lowercased tokens in `storage[0..<byteCount]`, in order. Consecutive tokens are either one
    /// space apart (then an n-gram is one contiguous byte range, exactly the string scikit-learn joins
    /// with `" "`) or further apart, with spaces between (`withGram` then joins them).
    private var storage: [UInt8]
    private(set) var byteCount = 0
    /// Token `k` is `storage[starts[k]..<ends[k]]`, for `k < tokenCount`.
    private var startStorage: [Int]
    private var endStorage: [Int]
    private(set) var tokenCount = 0

    init() {
        storage = Array(repeating: 0, count: 1024)
        startStorage = Array(repeating: 0, count: 256)
        endStorage = Array(repeating: 0, count: 256)
    }

    mutating func removeAll() {
        byteCount = 0
        tokenCount = 0
    }

    /// Calls `body` with the token bytes and the start and end offsets of every token.
    @inline(__always)
    func withTokens<T>(
        _ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> T
    ) -> T {
        storage.withUnsafeBytes { raw in
            startStorage.withUnsafeBufferPointer { starts in
                endStorage.withUnsafeBufferPointer { ends in
                    body(
                        UnsafeRawBufferPointer(rebasing: raw[0..<byteCount]),
                        UnsafeBufferPointer(rebasing: starts[0..<tokenCount]),
                        UnsafeBufferPointer(rebasing: ends[0..<tokenCount]))
                }
            }
        }
    }

    /// Token `k` as a string (tests and explanations).
    func token(_ k: Int) -> String {
        withTokens { raw, starts, ends in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[starts[k]..<ends[k]]), as: UTF8.self)
        }
    }

    /// Calls `body` with the bytes of the n-gram of `size` tokens starting at token `first`, joined by
    /// single spaces, followed by 8 readable bytes (`MurmurHash3.hash32(overreading:count:)`).
    @inline(__always)
    static func withGram<T>(
        _ raw: UnsafeRawBufferPointer, _ starts: UnsafeBufferPointer<Int>, _ ends: UnsafeBufferPointer<Int>,
        first: Int, size: Int, _ body: (UnsafeRawPointer, Int) -> T
    ) -> T {
        let last = first + size - 1
        var contiguous = true
        var k = first
        while k < last {
            contiguous = contiguous && starts[k + 1] == ends[k] &+ 1
            k += 1
        }
        let base = raw.baseAddress!
        if contiguous { return body(base + starts[first], ends[last] - starts[first]) }
        var length = size - 1
        for k in first...last { length += ends[k] - starts[k] }
        return withUnsafeTemporaryAllocation(byteCount: length + 8, alignment: 8) { joined in
            let out = joined.baseAddress!
            var at = 0
            for k in first...last {
                if k > first {
                    out.storeBytes(of: 0x20, toByteOffset: at, as: UInt8.self)
                    at += 1
                }
                out.advanced(by: at).copyMemory(from: base + starts[k], byteCount: ends[k] - starts[k])
                at += ends[k] - starts[k]
            }
            out.storeBytes(of: 0, toByteOffset: at, as: UInt64.self)
            return body(UnsafeRawPointer(out), length)
        }
    }

    /// Appends the tokens of `text` (valid UTF-8) after those already held.
    mutating func tokenize(_ text: UnsafeBufferPointer<UInt8>, lowercase: Bool) {
        if tokenizeASCII(text, lowercase: lowercase) { return }
        // Tokens have at least two bytes, so a text adds at most count/2 + 1 of them.
        let tokenRoom = tokenCount + text.count / 2 + 1
        if startStorage.count < tokenRoom {
            startStorage.append(contentsOf: repeatElement(0, count: tokenRoom - startStorage.count))
            endStorage.append(contentsOf: repeatElement(0, count: tokenRoom - endStorage.count))
        }
        var state = ScanState(byteCount: byteCount, tokenCount: tokenCount)
        var i = 0
        while i < text.count {
            // Two bytes per input byte: a byte and a separator; lowercasing grows UTF-8 by at most
            // 1.5x. The scan checks the room again before every non-ASCII scalar and returns here to grow.
            let room = state.byteCount + 2 * (text.count - i) + 16
            if storage.count < room { storage.append(contentsOf: repeatElement(0, count: room - storage.count)) }
            i = scan(text, from: i, lowercase: lowercase, &state)
        }
        storage.withUnsafeMutableBufferPointer { out in
            startStorage.withUnsafeMutableBufferPointer { starts in
                endStorage.withUnsafeMutableBufferPointer { ends in
                    var writer = TokenWriter(out: out, starts: starts, ends: ends, state: state)
                    writer.endToken()
                    state = writer.state
                }
            }
        }
        byteCount = state.byteCount
        tokenCount = state.tokenCount
        // Hashing reads up to 8 bytes past the last token (`MurmurHash3.hash32(overreading:count:)`).
        if storage.count < byteCount + 8 { storage.append(contentsOf: repeatElement(0, count: byteCount + 8 - storage.count)) }
    }

    /// The vector path for all-ASCII `text`; returns false, having changed nothing, when `text` has
    /// a non-ASCII byte.
    ///
    /// The text is copied to the buffer sixteen bytes at a time, lowercased, with every non-word byte
    /// turned into a space; a bit per byte says "word byte", and a token starts or ends where that bit
    /// changes, found with trailing-zero counts over 64 bits at once. A run of one byte is written and
    /// then not counted (`\w\w+`), without a branch.
    private mutating func tokenizeASCII(_ text: UnsafeBufferPointer<UInt8>, lowercase: Bool) -> Bool {
        let n = text.count
        guard n > 0, let source = text.baseAddress else { return true }
        // All ASCII? Checked as the blocks are read, chunk by chunk: a non-ASCII byte gives up having
        // changed nothing (what was written lies past `byteCount` and `tokenCount`).
        // A separator, the text rounded up to a whole block, and 8 bytes for hashing past the end.
        let room = byteCount + 1 + n + 16 + 8
        if storage.count < room { storage.append(contentsOf: repeatElement(0, count: room - storage.count)) }
        let tokenRoom = tokenCount + n / 2 + 2
        if startStorage.count < tokenRoom {
            startStorage.append(contentsOf: repeatElement(0, count: tokenRoom - startStorage.count))
            endStorage.append(contentsOf: repeatElement(0, count: tokenRoom - endStorage.count))
        }
        let firstByte = byteCount
        let previousTokens = tokenCount
        // The closures keep base and count in their own locals: captured variables live in memory,
        // and every store to `starts`/`ends` would make the compiler reload them.
        let scanned: (base: Int, count: Int)? = storage.withUnsafeMutableBytes { storage in
            startStorage.withUnsafeMutableBufferPointer { starts in
                endStorage.withUnsafeMutableBufferPointer { ends in
                    let out = storage.baseAddress!
                    // Plain pointers: the buffers are `inout` parameters, reloaded after every store.
                    let starts = starts.baseAddress!
                    let ends = ends.baseAddress!
                    var base = firstByte
                    var count = previousTokens
                    // After earlier tokens, a space: a token at the start of this text then follows
                    // the last one contiguously, as if the texts were joined with a space.
                    if previousTokens > 0 {
                        out.storeBytes(of: 0x20, toByteOffset: base, as: UInt8.self)
                        base += 1
                    }
                    var open = false
                    var tokenStart = 0
                    var carry: UInt64 = 0
                    var chunk = 0
                    var seen = ASCIIBlock.V(repeating: 0)
                    while chunk < n {
                        // Up to four blocks of sixteen bytes: one bit per byte in `word`.
                        var word: UInt64 = 0
                        var block = 0
                        while block < 4 && chunk + 16 * block < n {
                            let at = chunk + 16 * block
                            let v =
                                at + 16 <= n
                                ? UnsafeRawPointer(source + at).loadUnaligned(as: SIMD16<UInt8>.self)
                                : ASCIIBlock.loadPartial(source, from: at, count: n)
                            seen |= v
                            let (lowered, mask) = ASCIIBlock.classify(v, lowercase: lowercase)
                            (out + base + at).storeBytes(of: lowered, as: SIMD16<UInt8>.self)
                            word |= mask << (16 * UInt64(block))
                            block += 1
                        }
                        guard ASCIIBlock.isASCII(seen) else { return nil }
                        // Bit i of `changes`: byte chunk + i differs from the byte before it (word or not).
                        var changes = word ^ (word << 1 | carry)
                        carry = word >> 63
                        // A token left open by the previous chunk ends at the first change.
                        if open && changes != 0 {
                            let end = chunk &+ changes.trailingZeroBitCount
                            changes &= changes &- 1
                            starts[count] = base &+ tokenStart
                            ends[count] = base &+ end
                            count &+= end &- tokenStart >= 2 ? 1 : 0
                            open = false
                        }
                        // Then changes come in pairs, start and end; a start without its end stays open.
                        while changes != 0 {
                            let start = chunk &+ changes.trailingZeroBitCount
                            changes &= changes &- 1
                            if changes == 0 {
                                tokenStart = start
                                open = true
                                break
                            }
                            let end = chunk &+ changes.trailingZeroBitCount
                            changes &= changes &- 1
                            starts[count] = base &+ start
                            ends[count] = base &+ end
                            count &+= end &- start >= 2 ? 1 : 0
                        }
                        chunk += 64
                    }
                    if open {
                        starts[count] = base &+ tokenStart
                        ends[count] = base &+ n
                        count &+= n &- tokenStart >= 2 ? 1 : 0
                    }
                    return (base, count)
                }
            }
        }
        guard let scanned else { return false }
        byteCount = scanned.base + n
        tokenCount = scanned.count
        return true
    }

    /// Scans from `start` until the end of the text or until the buffer may be too small;
    /// returns where it stopped.
    private mutating func scan(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, lowercase: Bool, _ state: inout ScanState
    ) -> Int {
        let current = state
        var stoppedAt = start
        var next = current
        storage.withUnsafeMutableBufferPointer { out in
            startStorage.withUnsafeMutableBufferPointer { starts in
                endStorage.withUnsafeMutableBufferPointer { ends in
                    (lowercase ? Self.asciiTable : Self.asciiTableKeepingCase).withUnsafeBufferPointer { table in
                        var writer = TokenWriter(out: out, starts: starts, ends: ends, state: current)
                        stoppedAt = writer.scan(text, from: start, lowercase: lowercase, table: table)
                        next = writer.state
                    }
                }
            }
        }
        state = next
        return stoppedAt
    }

    /// Per ASCII byte: bits 0–6 the byte lowercased, bit 8 word character (`[0-9A-Za-z_]`),
    /// bit 9 cased letter, bit 10 case-ignorable (`' . : ^ \``).
    static let asciiTable = makeASCIITable(lowercase: true)
    /// The same with bits 0–6 the byte itself, for `lowercase: false`.
    static let asciiTableKeepingCase = makeASCIITable(lowercase: false)

    private static func makeASCIITable(lowercase: Bool) -> [UInt16] {
        (0..<128).map { (b: Int) -> UInt16 in
            let c = UInt8(b)
            let folded = c | 0x20
            let isLetter = folded >= 0x61 && folded <= 0x7a
            let isWord = isLetter || (c >= 0x30 && c <= 0x39) || c == 0x5f
            let isIgnorable = c == 0x27 || c == 0x2e || c == 0x3a || c == 0x5e || c == 0x60
            let lowered = lowercase && c >= 0x41 && c <= 0x5a ? c | 0x20 : c
            return UInt16(lowered) | (isWord ? 0x100 : 0) | (isLetter ? 0x200 : 0) | (isIgnorable ? 0x400 : 0)
        }
    }

    /// CPython's `\w` for `str` patterns.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return isASCIIWord(UInt8(scalar.value)) }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return properties.numericType != nil
        }
    }

    /// `[0-9A-Za-z_]`.
    @inline(__always)
    static func isASCIIWord(_ c: UInt8) -> Bool {
        let folded = c | 0x20
        return (c >= 0x30 && c <= 0x39) || (folded >= 0x61 && folded <= 0x7a) || c == 0x5f
    }

    /// Final_Sigma look-ahead: after skipping case-ignorables, the text ends or a non-cased scalar follows.
    static func noCasedLetterFollows(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var i = start
        while i < text.count {
            let (scalar, width) = decode(text, at: i)
            i += width
            let properties = scalar.properties
            if !properties.isCaseIgnorable { return !properties.isCased }
        }
        return true
    }

    /// Decodes one scalar of valid UTF-8 at `i`.
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (Unicode.Scalar(b0)!, 1) }
        if b0 < 0xe0 {
            let v = ((b0 & 0x1f) << 6) | (UInt32(text[i + 1]) & 0x3f)
            return (Unicode.Scalar(v) ?? "\u{fffd}", 2)
        }
        if b0 < 0xf0 {
            let v = ((b0 & 0x0f) << 12) | ((UInt32(text[i + 1]) & 0x3f) << 6) | (UInt32(text[i + 2]) & 0x3f)
            return (Unicode.Scalar(v) ?? "\u{fffd}", 3)
        }
        let v =
            ((b0 & 0x07) << 18) | ((UInt32(text[i + 1]) & 0x3f) << 12) | ((UInt32(text[i + 2]) & 0x3f) << 6)
            | (UInt32(text[i + 3]) & 0x3f)
        return (Unicode.Scalar(v) ?? "\u{fffd}", 4)
    }
}

/// Sixteen ASCII bytes at a time, for `TextTokenizer.tokenizeASCII`.
enum ASCIIBlock {
    typealias V = SIMD16<UInt8>

    /// Bytes `at..<count` of the text at `p` (fewer than 16) in the first lanes, zero after, read
    /// without a copy loop: 8-byte loads that end at the text's end, shifted, when it has 8 bytes.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<UInt8>, from at: Int, count: Int) -> V {
        let remaining = count - at
        var low: UInt64 = 0
        var high: UInt64 = 0
        if count >= 8 {
            let last = UnsafeRawPointer(p + count - 8).loadUnaligned(as: UInt64.self).littleEndian
            if remaining >= 8 {
                low = UnsafeRawPointer(p + at).loadUnaligned(as: UInt64.self).littleEndian
                high = last >> (8 * (16 - remaining))  // smart shift: by 64 (nothing past 8) gives 0
            } else {
                low = last >> (8 * (8 - remaining))
            }
        } else {
            for i in 0..<remaining { low |= UInt64(p[at + i]) << (8 * UInt64(i)) }
        }
        return unsafeBitCast(SIMD2<UInt64>(low.littleEndian, high.littleEndian), to: V.self)
    }

    @inline(__always)
    static func isASCII(_ v: V) -> Bool {
        let halves = unsafeBitCast(v, to: SIMD2<UInt64>.self)
        return (halves[0] | halves[1]) & 0x8080_8080_8080_8080 == 0
    }

    /// The bytes lowercased (when asked) with every byte that is not `[0-9A-Za-z_]` replaced by a
    /// space, and a mask with bit i set when byte i is such a word byte.
    @inline(__always)
    static func classify(_ v: V, lowercase: Bool) -> (V, UInt64) {
        // Unsigned range tests as (v - lo) <= (hi - lo), one compare each.
        let upper = (v &- V(repeating: 0x41)) .<= V(repeating: 25)
        let lower = (v &- V(repeating: 0x61)) .<= V(repeating: 25)
        let digit = (v &- V(repeating: 0x30)) .<= V(repeating: 9)
        let word = upper .| lower .| digit .| (v .== V(repeating: 0x5F))
        let cased = lowercase ? v | V(repeating: 0).replacing(with: V(repeating: 0x20), where: upper) : v
        let out = V(repeating: 0x20).replacing(with: cased, where: word)
        return (out, bitmask(word))
    }

    /// Bit i set when lane i is set: SSE2 `pmovmskb` on x86-64. Elsewhere each half's lanes, as 0x80
    /// or 0 bytes of a 64-bit word, are gathered into its top byte by one multiply (the products land
    /// on distinct bits, so nothing carries).
    @inline(__always)
    static func bitmask(_ m: SIMDMask<SIMD16<Int8>>) -> UInt64 {
        #if arch(x86_64)
        return UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(unsafeBitCast(m, to: __m128i.self))))
        #else
        let bytes = V(repeating: 0).replacing(with: V(repeating: 0x80), where: m)
        let halves = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        let low = (halves[0] &* 0x0002_0408_1020_4081) >> 56
        let high = (halves[1] &* 0x0002_0408_1020_4081) >> 56
        return low | high << 8
        #endif
    }
}

/// What the tokenizer needs of a scalar U+0080–U+07FF (two UTF-8 bytes), computed once from
/// `Unicode.Scalar.Properties` exactly as the general path uses them.
struct TwoByteScalar: Sendable {
    /// The lowercase mapping, when it is one scalar.
    let lowered: UInt32
    let isWord: Bool
    let loweredIsWord: Bool
    let isCased: Bool
    let isCaseIgnorable: Bool
    /// Needs the general path: a lowercase mapping of several scalars, or Σ (Final_Sigma).
    let isSpecial: Bool

    static let table: [TwoByteScalar] = (0x80..<0x800).map { (v: UInt32) in
        let scalar = Unicode.Scalar(v)!
        let properties = scalar.properties
        let mapping = properties.changesWhenLowercased ? Array(properties.lowercaseMapping.unicodeScalars) : [scalar]
        let lowered = mapping.count == 1 ? mapping[0] : scalar
        return TwoByteScalar(
            lowered: lowered.value, isWord: TextTokenizer.isWord(scalar), loweredIsWord: TextTokenizer.isWord(lowered),
            isCased: properties.isCased, isCaseIgnorable: properties.isCaseIgnorable,
            isSpecial: mapping.count != 1 || v == 0x3A3)
    }
}

/// Where a scan stands between calls: output sizes and the token being built.
struct ScanState {
    var byteCount: Int
    var tokenCount: Int
    /// Offset of the current token's first byte, or -1 between tokens.
    var tokenStart = -1
    /// Length of the current token in scalars.
    var tokenLength = 0
    /// Cased-ness of the last scalar that is not case-ignorable (Final_Sigma look-behind).
    var lastSignificantIsCased = false

    init(byteCount: Int, tokenCount: Int) {
        self.byteCount = byteCount
        self.tokenCount = tokenCount
    }
}

/// Writes tokens through raw pointers whose room the caller has checked.
private struct TokenWriter {
    let out: UnsafeMutableBufferPointer<UInt8>
    let starts: UnsafeMutableBufferPointer<Int>
    let ends: UnsafeMutableBufferPointer<Int>
    var state: ScanState

    /// Processes `text` from `start`; stops early (returning the offset reached) before a
    /// non-ASCII scalar when the room left might not hold the rest of the text.
    mutating func scan(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, lowercase: Bool, table: UnsafeBufferPointer<UInt16>
    ) -> Int {
        // `table` is `asciiTable` or `asciiTableKeepingCase`, matching `lowercase`.
        var i = start
        let n = text.count
        let out = out.baseAddress!
        while i < n {
            var b = text[i]
            if b < 0x80 {
                var entry = table[Int(b)]
                if entry & 0x100 != 0 {
                    // A run of ASCII word bytes: copied (lowercased by the table) in a tight loop.
                    if state.tokenStart < 0 { beginToken() }
                    var position = state.byteCount
                    let runStart = i
                    repeat {
                        out[position] = UInt8(truncatingIfNeeded: entry)
                        position += 1
                        i += 1
                        if i == n { break }
                        b = text[i]
                        if b >= 0x80 { break }
                        entry = table[Int(b)]
                    } while entry & 0x100 != 0
                    state.byteCount = position
                    state.tokenLength += i - runStart
                    state.lastSignificantIsCased = table[Int(text[i - 1])] & 0x200 != 0
                } else {
                    // A run of ASCII non-word bytes: ends the token; any byte that is not
                    // case-ignorable resets the Final_Sigma look-behind.
                    endToken()
                    repeat {
                        if entry & 0x400 == 0 { state.lastSignificantIsCased = false }
                        i += 1
                        if i == n { break }
                        b = text[i]
                        if b >= 0x80 { break }
                        entry = table[Int(b)]
                    } while entry & 0x100 == 0
                }
                continue
            }
            // Keeps room >= 2 bytes per remaining input byte + 16: an ASCII byte writes at most
            // two (itself and a separator), a scalar's lowercase mapping at most 16.
            if state.byteCount + 2 * (n - i) + 16 > self.out.count { return i }
            // Two-byte scalars (Latin, Greek, Cyrillic, Hebrew, Arabic…) from a table computed
            // from the same Unicode properties, except the few that need the general path.
            if b >= 0xC2 && b < 0xE0 && i + 1 < n {
                let value = (UInt32(b & 0x1F) << 6) | UInt32(text[i + 1] & 0x3F)
                let entry = TwoByteScalar.table[Int(value) - 0x80]
                if !entry.isSpecial {
                    i += 2
                    let out = lowercase ? entry.lowered : value
                    feed(Unicode.Scalar(out)!, isWord: lowercase ? entry.loweredIsWord : entry.isWord)
                    if !entry.isCaseIgnorable { state.lastSignificantIsCased = entry.isCased }
                    continue
                }
            }
            let (scalar, width) = TextTokenizer.decode(text, at: i)
            i += width
            let properties = scalar.properties
            if lowercase {
                if scalar.value == 0x3a3 {
                    let final = state.lastSignificantIsCased && TextTokenizer.noCasedLetterFollows(text, from: i)
                    feed(Unicode.Scalar(final ? 0x3c2 : 0x3c3)!)
                } else if properties.changesWhenLowercased {
                    for lowered in properties.lowercaseMapping.unicodeScalars { feed(lowered) }
                } else {
                    feed(scalar)
                }
            } else {
                feed(scalar)
            }
            if !properties.isCaseIgnorable { state.lastSignificantIsCased = properties.isCased }
        }
        return i
    }

    private mutating func feed(_ scalar: Unicode.Scalar) {
        feed(scalar, isWord: TextTokenizer.isWord(scalar))
    }

    @inline(__always)
    private mutating func feed(_ scalar: Unicode.Scalar, isWord: Bool) {
        if isWord {
            if state.tokenStart < 0 { beginToken() }
            appendUTF8(scalar)
            state.tokenLength += 1
        } else {
            endToken()
        }
    }

    @inline(__always)
    private mutating func beginToken() {
        if state.tokenCount > 0 {
            out[state.byteCount] = 0x20
            state.byteCount += 1
        }
        state.tokenStart = state.byteCount
    }

    /// Keeps the current token if it has two scalars or more (`\w\w+`), else drops it and the
    /// separator written before it.
    @inline(__always)
    mutating func endToken() {
        guard state.tokenStart >= 0 else { return }
        if state.tokenLength >= 2 {
            starts[state.tokenCount] = state.tokenStart
            ends[state.tokenCount] = state.byteCount
            state.tokenCount += 1
        } else {
            state.byteCount = state.tokenCount == 0 ? state.tokenStart : state.tokenStart - 1
        }
        state.tokenStart = -1
        state.tokenLength = 0
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        var k = state.byteCount
        if v < 0x80 {
            out[k] = UInt8(v)
            k += 1
        } else if v < 0x800 {
            out[k] = UInt8(0xc0 | (v >> 6))
            out[k + 1] = UInt8(0x80 | (v & 0x3f))
            k += 2
        } else if v < 0x10000 {
            out[k] = UInt8(0xe0 | (v >> 12))
            out[k + 1] = UInt8(0x80 | ((v >> 6) & 0x3f))
            out[k + 2] = UInt8(0x80 | (v & 0x3f))
            k += 3
        } else {
            out[k] = UInt8(0xf0 | (v >> 18))
            out[k + 1] = UInt8(0x80 | ((v >> 12) & 0x3f))
            out[k + 2] = UInt8(0x80 | ((v >> 6) & 0x3f))
            out[k + 3] = UInt8(0x80 | (v & 0x3f))
            k += 4
        }
        state.byteCount = k
    }
}
