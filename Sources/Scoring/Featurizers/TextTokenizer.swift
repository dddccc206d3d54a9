/// Splits text into scikit-learn's word tokens: `doc.lower()` followed by
/// `re.findall(r"(?u)\b\w\w+\b", doc)`, on bytes, with no per-call allocation once warm.
///
/// A word character is what CPython's `re` calls `\w` for `str` patterns: a character whose
/// general category is a letter (Lu, Ll, Lt, Lm, Lo), one with a numeric type (decimal, digit,
/// numeric), or `_`. Lowercasing is CPython's `str.lower()`: the full Unicode lowercase mapping
/// plus the Final_Sigma rule for U+03A3. Tokens are stored lowercased, one space apart, so that a
/// word n-gram is one contiguous byte range, exactly the string scikit-learn joins with `" "`.
struct TextTokenizer {
    /// Lowercased tokens separated by single spaces.
    private(set) var bytes: [UInt8] = []
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []

    init() {
        bytes.reserveCapacity(1024)
        starts.reserveCapacity(128)
        ends.reserveCapacity(128)
    }

    var tokenCount: Int { starts.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Appends the tokens of `text` (valid UTF-8) after those already held.
    mutating func tokenize(_ text: UnsafeBufferPointer<UInt8>, lowercase: Bool) {
        var tokenStart = -1  // byte offset in `bytes` of the current token, or -1
        var tokenLength = 0  // in scalars
        // Cased-ness of the last scalar that is not case-ignorable (Final_Sigma look-behind).
        var lastSignificantIsCased = false
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            if b < 0x80 {
                i += 1
                var c = b
                if lowercase && c >= 0x41 && c <= 0x5a { c |= 0x20 }
                if Self.isASCIIWord(c) {
                    if tokenStart < 0 { tokenStart = beginToken() }
                    bytes.append(c)
                    tokenLength += 1
                    lastSignificantIsCased = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a
                } else {
                    endToken(&tokenStart, &tokenLength)
                    // ASCII case-ignorables: ' . : ^ `
                    if !(c == 0x27 || c == 0x2e || c == 0x3a || c == 0x5e || c == 0x60) {
                        lastSignificantIsCased = false
                    }
                }
                continue
            }
            let (scalar, width) = Self.decode(text, at: i)
            i += width
            let properties = scalar.properties
            if lowercase {
                if scalar.value == 0x3a3 {
                    let final = lastSignificantIsCased && Self.noCasedLetterFollows(text, from: i)
                    feed(Unicode.Scalar(final ? 0x3c2 : 0x3c3)!, &tokenStart, &tokenLength)
                } else if properties.changesWhenLowercased {
                    for lowered in properties.lowercaseMapping.unicodeScalars {
                        feed(lowered, &tokenStart, &tokenLength)
                    }
                } else {
                    feed(scalar, &tokenStart, &tokenLength)
                }
            } else {
                feed(scalar, &tokenStart, &tokenLength)
            }
            if !properties.isCaseIgnorable { lastSignificantIsCased = properties.isCased }
        }
        endToken(&tokenStart, &tokenLength)
    }

    private mutating func feed(_ scalar: Unicode.Scalar, _ tokenStart: inout Int, _ tokenLength: inout Int) {
        if Self.isWord(scalar) {
            if tokenStart < 0 { tokenStart = beginToken() }
            Self.appendUTF8(scalar, to: &bytes)
            tokenLength += 1
        } else {
            endToken(&tokenStart, &tokenLength)
        }
    }

    private mutating func beginToken() -> Int {
        if !starts.isEmpty { bytes.append(0x20) }
        return bytes.count
    }

    private mutating func endToken(_ tokenStart: inout Int, _ tokenLength: inout Int) {
        guard tokenStart >= 0 else { return }
        if tokenLength >= 2 {
            starts.append(tokenStart)
            ends.append(bytes.count)
        } else {
            // Too short for `\w\w+`: drop it and the separator written before it.
            bytes.removeSubrange((starts.isEmpty ? tokenStart : tokenStart - 1)..<bytes.count)
        }
        tokenStart = -1
        tokenLength = 0
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
    private static func noCasedLetterFollows(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
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

    @inline(__always)
    static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        let v = scalar.value
        if v < 0x80 {
            bytes.append(UInt8(v))
        } else if v < 0x800 {
            bytes.append(UInt8(0xc0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3f)))
        } else if v < 0x10000 {
            bytes.append(UInt8(0xe0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3f)))
            bytes.append(UInt8(0x80 | (v & 0x3f)))
        } else {
            bytes.append(UInt8(0xf0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3f)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3f)))
            bytes.append(UInt8(0x80 | (v & 0x3f)))
        }
    }
}
