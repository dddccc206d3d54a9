#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Byte classes for the scanner, one table lookup per byte.
enum ByteClass {
    /// Which of sixteen bytes are `word` bytes (ASCII letters and digits, `_`, bytes of multi-byte
    /// characters), with vector compares.
    @inline(__always)
    static func wordLanes(_ x: SIMD16<UInt8>) -> SIMDMask<SIMD16<Int8>> {
        typealias V = SIMD16<UInt8>
        var m = ((x | V(repeating: Byte.caseBit)) &- V(repeating: Byte.lowerA)) .< V(repeating: 26)
        m .|= (x &- V(repeating: Byte.zero)) .< V(repeating: 10)
        m .|= x .== V(repeating: Byte.underscore)
        m .|= x .>= V(repeating: Byte.firstNonASCII)
        return m
    }

    static let digit: UInt8 = 1
    static let upper: UInt8 = 2
    static let lower: UInt8 = 4
    static let hex: UInt8 = 8
    /// A byte that continues a word: ASCII letters and digits, `_`, and any byte of a multi-byte UTF-8 sequence.
    static let word: UInt8 = 16
    static let nonASCII: UInt8 = 32

    static let alpha: UInt8 = upper | lower
    static let alnum: UInt8 = upper | lower | digit

    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for index in 0..<256 {
            let byte = UInt8(index)
            var classes: UInt8 = 0
            switch byte {
            case Byte.zero...Byte.nine: classes = digit | hex | word
            case Byte.upperA...Byte.upperZ: classes = upper | word
            case Byte.lowerA...Byte.lowerZ: classes = lower | word
            case Byte.underscore: classes = word
            case Byte.firstNonASCII...: classes = word | nonASCII
            default: classes = 0
            }
            if (Byte.upperA...Byte.upperF).contains(byte) || (Byte.lowerA...Byte.lowerF).contains(byte) {
                classes |= hex
            }
            t[index] = classes
        }
        return t
    }()
}

/// What a trigger byte starts. Zero means "not a trigger"; the scanner skips such bytes.
enum Trigger {
    static let none: UInt8 = 0
    static let digit: UInt8 = 1
    static let upper: UInt8 = 2
    static let at: UInt8 = 3
    static let colon: UInt8 = 4
    static let plus: UInt8 = 5
    static let lparen: UInt8 = 6
    static let dot: UInt8 = 7
    static let dash: UInt8 = 8
    static let nonASCII: UInt8 = 9
}

/// The vector pre-filter of the main loop: which of sixteen bytes may start a candidate. It stops at
/// digits and `:` (0x30–0x3A), `@` and capitals (0x40–0x5A), `-`, `(`, `+`, lead bytes of multi-byte
/// UTF-8 sequences (0xC0–0xFF), and `.` when an ASCII letter or digit follows it — the built-in trigger
/// set, except the sentence-ending dots that the `.` recogniser (`www.`, dotted MACs) always passes over.
/// About forty SSE2 instructions per sixteen bytes, two loads and register copies included (counted in
/// the compiled loop); the main loop's full blocks use `block64`, which on x86-64-v2 builds finds the
/// same stops with two SSSE3 `pshufb` look-ups per sixteen bytes, one load and about twenty-five
/// instructions. Configurations with other trigger bytes (user patterns, lowercase dictionary
/// terms, patterns starting with `.`) use the trigger table instead.
enum TriggerVector {
    /// Whether the vector test can stop at `b` (for `.`, when a letter or digit follows).
    static func covers(_ b: UInt8) -> Bool {
        (Byte.zero...Byte.colon).contains(b) || (Byte.at...Byte.upperZ).contains(b) || b == Byte.dash || b == Byte.dot
            || b == Byte.openParen || b == Byte.plus || b >= Byte.firstLead
    }

    /// Lanes 0–7 and 8–15 of the sixteen bytes at `p`, each byte 0xFF where the scanner must stop and 0
    /// elsewhere. Reads seventeen bytes (the byte after the block decides its last `.`).
    @inline(__always)
    static func lanes(_ p: UnsafeRawPointer) -> (UInt64, UInt64) {
        let bytes = SIMD16<UInt8>(repeating: 0).replacing(with: SIMD16<UInt8>(repeating: 0xFF), where: stops(p))
        let q = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        return (q[0], q[1])
    }

    /// The same sixteen stops as a bitmask, bit k for byte k.
    @inline(__always)
    static func bits(_ p: UnsafeRawPointer) -> UInt64 { maskBits(stops(p)) }

    /// A lane mask as bits, bit k for lane k.
    @inline(__always)
    static func maskBits(_ m: SIMDMask<SIMD16<Int8>>) -> UInt64 {
        #if arch(x86_64)
        // SSE2 `pmovmskb`.
        return UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(unsafeBitCast(m, to: __m128i.self))))
        #else
        let ones = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: m)
        let q = unsafeBitCast(ones, to: SIMD2<UInt64>.self)
        // Multiplying bytes of 0/1 by this constant gathers byte k's bit at bit 56 + k, without carries.
        return (q[0] &* 0x0102_0408_1020_4080) &>> 56 | ((q[1] &* 0x0102_0408_1020_4080) &>> 56) &<< 8
        #endif
    }

    /// The vector test itself: which of the sixteen bytes at `p` are stops (reads `p[16]` too).
    @inline(__always)
    static func stops(_ p: UnsafeRawPointer) -> SIMDMask<SIMD16<Int8>> {
        typealias V = SIMD16<UInt8>
        let v = p.loadUnaligned(as: V.self)
        let next = p.loadUnaligned(fromByteOffset: 1, as: V.self)
        // Unsigned range tests as (v - lo) <= (hi - lo); operands are vectors so the compiler emits
        // single instructions instead of per-lane code.
        var m = (v &- V(repeating: Byte.zero)) .<= V(repeating: Byte.colon &- Byte.zero)  // `0`–`9`, `:`
        m .|= (v &- V(repeating: Byte.at)) .<= V(repeating: Byte.upperZ &- Byte.at)  // `@`, `A`–`Z`
        m .|= v .== V(repeating: Byte.dash)
        m .|= v .== V(repeating: Byte.openParen)
        m .|= v .== V(repeating: Byte.plus)
        m .|= v .>= V(repeating: Byte.firstLead)
        let nextDigit = (next &- V(repeating: Byte.zero)) .<= V(repeating: 9)
        let nextLetter = ((next | V(repeating: Byte.caseBit)) &- V(repeating: Byte.lowerA)) .<= V(repeating: 25)
        m .|= (v .== V(repeating: Byte.dot)) .& (nextDigit .| nextLetter)
        return m
    }
}

extension TriggerVector {
    /// The stops among the sixty-four bytes at `p`, bit k for byte k: the same set as four `bits`
    /// calls. `next` is the byte after them (`p[64]`), which decides a `.` in the last lane.
    @inline(__always)
    static func block64(_ p: UnsafeRawPointer, next: UInt8) -> UInt64 {
        #if arch(x86_64) && STEWARD_X86_64_V2
        let (t0, d0, a0) = nibbleMasks(p)
        let (t1, d1, a1) = nibbleMasks(p + 16)
        let (t2, d2, a2) = nibbleMasks(p + 32)
        let (t3, d3, a3) = nibbleMasks(p + 48)
        let triggers = t0 | t1 &<< 16 | t2 &<< 32 | t3 &<< 48
        let dots = d0 | d1 &<< 16 | d2 &<< 32 | d3 &<< 48
        let alnum = a0 | a1 &<< 16 | a2 &<< 32 | a3 &<< 48
        let nextAlnum: UInt64 = ByteClass.isASCIIAlnum(next) ? 1 &<< 63 : 0
        // A dot stops when an ASCII letter or digit follows it.
        return triggers | dots & (alnum &>> 1 | nextAlnum)
        #else
        return bits(p) | bits(p + 16) &<< 16 | bits(p + 32) &<< 32 | bits(p + 48) &<< 48
        #endif
    }

    #if arch(x86_64) && STEWARD_X86_64_V2
    /// Class bits of a byte, as the AND of a bit set chosen by its low nibble and one chosen by its
    /// high nibble (two SSSE3 `pshufb` look-ups per sixteen bytes, instead of a compare per range):
    /// `1` 0x30–0x3A and 0x50–0x5A, `2` 0x40–0x4F and 0xC0–0xFF, `4` `(` `+` `-`, `8` `.`,
    /// `16` 0x41–0x4F and 0x61–0x6F, `32` 0x30–0x39, `64` 0x50–0x5A and 0x70–0x7A.
    /// Stops are bits 1|2|4, ASCII letters and digits bits 16|32|64.
    static let nibbleTriggerBits: UInt8 = 7
    static let nibbleDotBits: UInt8 = 8
    static let nibbleAlnumBits: UInt8 = 0x70

    /// Trigger, dot and ASCII-alphanumeric bitmasks (bit k for byte k) of the sixteen bytes at `p`.
    @inline(__always)
    static func nibbleMasks(_ p: UnsafeRawPointer) -> (UInt64, UInt64, UInt64) {
        typealias V = SIMD16<UInt8>
        // Index = low nibble: 0–9 → 1|2|16|32|64 (+4 at 8), 10 → 1|2|16|64, 11 → 2|4|16,
        // 12 → 2|16, 13 → 2|4|16, 14 → 2|8|16, 15 → 2|16; 0 has no 16 (0x40, 0x60 are not letters).
        let low = V(0x63, 0x73, 0x73, 0x73, 0x73, 0x73, 0x73, 0x73, 0x77, 0x73, 0x53, 0x16, 0x12, 0x16, 0x1A, 0x12)
        // Index = high nibble: 2 → 4|8, 3 → 1|32, 4 → 2|16, 5 → 1|64, 6 → 16, 7 → 64, 12–15 → 2.
        let high = V(0, 0, 0x0C, 0x21, 0x12, 0x41, 0x10, 0x40, 0, 0, 0, 0, 0x02, 0x02, 0x02, 0x02)
        let v = p.loadUnaligned(as: V.self)
        let lo = v & V(repeating: 0x0F)
        let hi = (v &>> 4) & V(repeating: 0x0F)
        let a: V = unsafeBitCast(
            _mm_shuffle_epi8(unsafeBitCast(low, to: __m128i.self), unsafeBitCast(lo, to: __m128i.self)), to: V.self)
        let b: V = unsafeBitCast(
            _mm_shuffle_epi8(unsafeBitCast(high, to: __m128i.self), unsafeBitCast(hi, to: __m128i.self)), to: V.self)
        let c = a & b
        // Lanes where `c & bits` is zero, as a 16-bit mask, inverted (vector operands throughout: a
        // comparison with a scalar operand is compiled lane by lane).
        @inline(__always) func mask(_ bits: UInt8) -> UInt64 {
            let zero = _mm_cmpeq_epi8(unsafeBitCast(c & V(repeating: bits), to: __m128i.self), _mm_setzero_si128())
            return UInt64(~UInt16(truncatingIfNeeded: _mm_movemask_epi8(zero)))
        }
        return (mask(nibbleTriggerBits), mask(nibbleDotBits), mask(nibbleAlnumBits))
    }
    #endif
}

extension ByteClass {
    /// Whether `b` is an ASCII letter or digit.
    @inline(__always)
    static func isASCIIAlnum(_ b: UInt8) -> Bool {
        (b &- Byte.zero) < 10 || isASCIILetter(b)
    }

    /// Whether `b` is an ASCII letter.
    @inline(__always)
    static func isASCIILetter(_ b: UInt8) -> Bool { ((b | Byte.caseBit) &- Byte.lowerA) < 26 }

    /// Whether `b` is a `word` byte (ASCII letters and digits, `_`, bytes of multi-byte characters),
    /// without the table (`wordLanes` is the same test on sixteen bytes).
    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool {
        isASCIIAlnum(b) || b == Byte.underscore || b >= Byte.firstNonASCII
    }
}

/// Up to eight byte values, compared with sixteen bytes at a time (`Scanner.userRules`). A plain
/// value (no array to retain when the scanner reads it); unused slots repeat the first value.
struct ByteNeedles: Sendable {
    private let a: SIMD8<UInt8>
    private let count: Int

    /// Nil for an empty set or more than eight values (then each word start is checked in a table).
    init?(_ bytes: [UInt8]) {
        guard let first = bytes.first, bytes.count <= 8 else { return nil }
        var a = SIMD8<UInt8>(repeating: first)
        for (k, b) in bytes.enumerated() { a[k] = b }
        self.a = a
        self.count = bytes.count
    }

    /// Which lanes of `v` hold one of the values.
    @inline(__always)
    func matches(_ v: SIMD16<UInt8>) -> SIMDMask<SIMD16<Int8>> {
        typealias V = SIMD16<UInt8>
        var m = v .== V(repeating: a[0])
        if count > 1 { m .|= v .== V(repeating: a[1]) }
        if count > 2 {
            m .|= v .== V(repeating: a[2])
            m .|= v .== V(repeating: a[3])
        }
        if count > 4 {
            m .|= v .== V(repeating: a[4])
            m .|= v .== V(repeating: a[5])
            m .|= v .== V(repeating: a[6])
            m .|= v .== V(repeating: a[7])
        }
        return m
    }
}

/// Which characters make up a word, by script, for the boundaries of every recogniser and of the
/// user rules. Entities are written in ASCII; a letter of a script written with spaces between its
/// words (Latin with diacritics, Greek, Cyrillic, Hebrew, Arabic …) continues an ASCII word ("Grüße",
/// "jörg@…"), but a character of a script written without spaces (CJK, kana, Hangul with its glued
/// particles, Thai) is a word of another class, and CJK, full-width and general punctuation are no
/// word at all: `連絡先：james@example.com。` has the address between two boundaries. The ASCII
/// bytes are decided by the byte table; a multi-byte character is decoded only where a recogniser
/// asks about it (next to a candidate).
enum WordClass {
    /// Spaces, punctuation, symbols, emoji.
    static let nonWord: UInt8 = 0
    /// ASCII letters, digits and `_`, and letters of the alphabetic scripts written with spaces.
    static let latin: UInt8 = 1
    /// Letters and digits of other scripts (CJK, kana, Hangul, Thai, Indic …) and full-width forms.
    static let other: UInt8 = 2

    /// The class of a code point of two bytes or more (`cp >= 0x80`).
    static func of(scalar cp: UInt32) -> UInt8 {
        if cp < 0x800 {
            // Latin-1 punctuation and symbols (U+0080–U+00BF: NBSP, «, », ·), × and ÷.
            if cp < 0xC0 || cp == 0xD7 || cp == 0xF7 { return nonWord }
            switch cp {
            // Greek, Armenian, Hebrew and Arabic punctuation.
            case 0x37E, 0x387, 0x55A...0x55F, 0x589, 0x5BE, 0x5C0, 0x5C3, 0x5C6, 0x5F3, 0x5F4, 0x60C, 0x61B, 0x61F,
                 0x66A...0x66D, 0x6D4:
                return nonWord
            default: return latin
            }
        }
        switch cp {
        // Combining marks for Latin, Latin Extended Additional (Vietnamese), Latin Extended-C/D/E,
        // Latin ligatures.
        case 0x1AB0...0x1AFF, 0x1DC0...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F, 0xFB00...0xFB06:
            return latin
        // General punctuation, super- and subscripts, currency, letterlike symbols, arrows, maths,
        // technical, boxes, shapes, dingbats, misc. symbols; CJK symbols and punctuation; vertical and
        // small forms; full-width punctuation; private use; specials; emoji and other symbols.
        case 0x2000...0x2BFF, 0x2E00...0x2E7F, 0x3000...0x303F, 0xE000...0xF8FF, 0xFE10...0xFE1F, 0xFE30...0xFE6F,
             0xFFF0...0xFFFF, 0x1F000...0x1FBFF:
            return nonWord
        case 0xFF00...0xFFEF:
            // Full-width digits and letters, half-width kana and Hangul are letters of another
            // script; the rest of the block is punctuation.
            switch cp {
            case 0xFF10...0xFF19, 0xFF21...0xFF3A, 0xFF41...0xFF5A, 0xFF66...0xFFDC: return other
            default: return nonWord
            }
        default:
            return other
        }
    }

    /// The first byte and the length of the character that contains byte `i` (`p[i] >= 0x80`), and
    /// its code point; nil for bytes that are no part of a valid sequence.
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (start: Int, length: Int, scalar: UInt32)? {
        var s = i
        // A continuation byte: back to the lead byte (at most three steps).
        while Byte.isContinuation(p[s]) {
            if s == 0 || i &- s >= 3 { return nil }
            s &-= 1
        }
        let b0 = UInt32(p[s])
        let len: Int
        var cp: UInt32
        switch b0 {
        case UInt32(Byte.firstTwoByteLead)...UInt32(Byte.lastTwoByteLead): len = 2; cp = b0 & 0x1F
        case 0xE0...0xEF: len = 3; cp = b0 & 0x0F
        case 0xF0...0xF4: len = 4; cp = b0 & 0x07
        default: return nil
        }
        guard s &+ len <= n, i < s &+ len else { return nil }
        for k in 1..<len {
            let b = UInt32(p[s &+ k])
            guard b & 0xC0 == UInt32(Byte.firstNonASCII) else { return nil }
            cp = cp &<< 6 | b & 0x3F
        }
        return (s, len, cp)
    }

    /// The class of the character that contains byte `i`, and where that character ends. Bytes of
    /// no valid sequence count as one-byte characters of another script (as a word, as before this
    /// distinction).
    @inline(__always)
    static func at(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ cls: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let b = p[i]
        if b < Byte.firstNonASCII { return (cls[Int(b)] & ByteClass.word != 0 ? latin : nonWord, i &+ 1) }
        return slow(p, n, i)
    }

    @inline(never)
    static func slow(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (UInt8, Int) {
        guard let (s, len, cp) = decode(p, n, i) else { return (other, i &+ 1) }
        return (of(scalar: cp), s &+ len)
    }

    /// The class of the character that contains byte `i` (bounds-checked: `nonWord` outside the text).
    @inline(__always)
    static func of(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> UInt8 {
        guard i >= 0 && i < n else { return nonWord }
        let b = p[i]
        if b < Byte.firstNonASCII { return ByteClass.isWordByte(b) ? latin : nonWord }
        return slow(p, n, i).0
    }

    /// Whether a word boundary lies between bytes `i - 1` and `i` (as `\b`): the characters on
    /// either side are not both word characters of one class. Never inside a character.
    @inline(__always)
    static func isBoundary(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Bool {
        guard i > 0 && i < n else { return true }
        let a = p[i &- 1], b = p[i]
        if a < Byte.firstNonASCII && b < Byte.firstNonASCII {
            return !(ByteClass.isWordByte(a) && ByteClass.isWordByte(b))
        }
        if Byte.isContinuation(b) { return false }
        let ca = of(p, n, i &- 1)
        return ca == nonWord || ca != of(p, n, i)
    }

    /// Whether something that starts at `i` starts a word there, as Presidio's `(?<=\W)` or the start
    /// of the text: the character before is no word character, or a word character of another class
    /// than the one at `i` (ASCII after CJK: "電話090…", "チケットtk-1234"). Never inside a character.
    @inline(__always)
    static func startsAfter(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Bool {
        guard i > 0 && i < n else { return i <= 0 }
        let a = p[i &- 1], b = p[i]
        if a < Byte.firstNonASCII && b < Byte.firstNonASCII { return !ByteClass.isWordByte(a) }
        if Byte.isContinuation(b) { return false }
        let ca = of(p, n, i &- 1)
        if ca == nonWord { return true }
        let cb = of(p, n, i)
        return cb != nonWord && cb != ca
    }

    /// Whether something that ends at `e` ends a word there, as Presidio's `(?=\W)` or the end of
    /// the text: the character at `e` is no word character, or one of another class than the one
    /// before it ("AT&Tです"). Never inside a character.
    @inline(__always)
    static func endsBefore(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: Int) -> Bool {
        guard e > 0 && e < n else { return true }
        let a = p[e &- 1], b = p[e]
        if a < Byte.firstNonASCII && b < Byte.firstNonASCII { return !ByteClass.isWordByte(b) }
        if Byte.isContinuation(b) { return false }
        let cb = of(p, n, e)
        if cb == nonWord { return true }
        let ca = of(p, n, e &- 1)
        return ca != nonWord && ca != cb
    }
}
