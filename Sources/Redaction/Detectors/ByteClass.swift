/// Byte classes for the scanner, one table lookup per byte.
enum ByteClass {
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
        for b in 0..<256 {
            var c: UInt8 = 0
            switch b {
            case 48...57: c = digit | hex | word
            case 65...90: c = upper | word
            case 97...122: c = lower | word
            case 95: c = word
            case 128...255: c = word | nonASCII
            default: c = 0
            }
            if (65...70).contains(b) || (97...102).contains(b) { c |= hex }
            t[b] = c
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
    /// A byte that only user patterns or lowercase dictionary terms start with.
    static let other: UInt8 = 10
}
