/// Bytes the scanner compares against, by name: ASCII characters, and the UTF-8 boundaries that
/// tell a byte of a multi-byte character. Static lets of `UInt8` fold to immediates in optimised
/// builds, so the hot loops compare against constants as before.
enum Byte {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let verticalTab: UInt8 = 0x0B
    static let formFeed: UInt8 = 0x0C
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let exclamation = UInt8(ascii: "!")
    static let doubleQuote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")
    static let percent = UInt8(ascii: "%")
    static let ampersand = UInt8(ascii: "&")
    static let apostrophe = UInt8(ascii: "'")
    static let openParen = UInt8(ascii: "(")
    static let closeParen = UInt8(ascii: ")")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let zero = UInt8(ascii: "0")
    static let one = UInt8(ascii: "1")
    static let two = UInt8(ascii: "2")
    static let three = UInt8(ascii: "3")
    static let nine = UInt8(ascii: "9")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let lessThan = UInt8(ascii: "<")
    static let equals = UInt8(ascii: "=")
    static let greaterThan = UInt8(ascii: ">")
    static let question = UInt8(ascii: "?")
    static let at = UInt8(ascii: "@")
    static let upperA = UInt8(ascii: "A")
    static let upperB = UInt8(ascii: "B")
    static let upperC = UInt8(ascii: "C")
    static let upperF = UInt8(ascii: "F")
    static let upperT = UInt8(ascii: "T")
    static let upperZ = UInt8(ascii: "Z")
    static let backslash = UInt8(ascii: "\\")
    static let closeBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let backtick = UInt8(ascii: "`")
    static let lowerA = UInt8(ascii: "a")
    static let lowerB = UInt8(ascii: "b")
    static let lowerC = UInt8(ascii: "c")
    static let lowerD = UInt8(ascii: "d")
    static let lowerE = UInt8(ascii: "e")
    static let lowerF = UInt8(ascii: "f")
    static let lowerH = UInt8(ascii: "h")
    static let lowerN = UInt8(ascii: "n")
    static let lowerO = UInt8(ascii: "o")
    static let lowerR = UInt8(ascii: "r")
    static let lowerS = UInt8(ascii: "s")
    static let lowerT = UInt8(ascii: "t")
    static let lowerW = UInt8(ascii: "w")
    static let lowerX = UInt8(ascii: "x")
    static let lowerZ = UInt8(ascii: "z")
    static let closeBrace = UInt8(ascii: "}")
    static let tilde = UInt8(ascii: "~")
    static let delete: UInt8 = 0x7F

    /// An ASCII letter's capital and small forms differ in this bit alone (`b | caseBit` is small).
    static let caseBit: UInt8 = 0x20

    /// The first byte that is not ASCII: every byte of a multi-byte character is at least this.
    static let firstNonASCII: UInt8 = 0x80
    /// The first lead byte of a multi-byte character; bytes from `firstNonASCII` below it continue one.
    static let firstLead: UInt8 = 0xC0
    /// The first and last lead bytes of a two-byte character (0xC0 and 0xC1 would be overlong).
    static let firstTwoByteLead: UInt8 = 0xC2
    static let lastTwoByteLead: UInt8 = 0xDF

    /// Whether `b` continues a multi-byte character (0x80–0xBF).
    @inline(__always)
    static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == firstNonASCII }

    /// `b` made small when it is an ASCII capital; any other byte as it is.
    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { b &- upperA < 26 ? b | caseBit : b }
}
