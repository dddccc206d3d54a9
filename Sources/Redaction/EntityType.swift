/// The kind of a detected span. Built-in kinds are spelled as Presidio spells them, so reports and
/// policies carry over; user-defined patterns and dictionaries add their own names.
public struct EntityType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: EntityType, rhs: EntityType) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let emailAddress = EntityType("EMAIL_ADDRESS")
    public static let phoneNumber = EntityType("PHONE_NUMBER")
    public static let creditCard = EntityType("CREDIT_CARD")
    public static let ibanCode = EntityType("IBAN_CODE")
    public static let usSSN = EntityType("US_SSN")
    public static let usITIN = EntityType("US_ITIN")
    public static let ukNHS = EntityType("UK_NHS")
    public static let ipAddress = EntityType("IP_ADDRESS")
    public static let macAddress = EntityType("MAC_ADDRESS")
    public static let url = EntityType("URL")
    public static let crypto = EntityType("CRYPTO")
    public static let dateTime = EntityType("DATE_TIME")
    public static let person = EntityType("PERSON")
    public static let location = EntityType("LOCATION")

    /// Every built-in detector, in the order the documentation lists them.
    public static let builtIn: [EntityType] = [
        .emailAddress, .phoneNumber, .creditCard, .ibanCode, .usSSN, .usITIN, .ukNHS, .ipAddress,
        .macAddress, .url, .crypto, .dateTime, .person, .location,
    ]

    /// Types whose hits are confirmed by a checksum or a strict numbering rule.
    public static let checksumValidated: Set<EntityType> = [.creditCard, .ibanCode, .usSSN, .usITIN, .ukNHS, .crypto]
}

/// One detected span. `start`/`end` are Unicode code-point offsets (end exclusive), the way Python
/// indexes a `str`; `byteStart`/`byteEnd` are the same span in UTF-8 bytes.
public struct Entity: Hashable, Sendable {
    public var type: EntityType
    public var start: Int
    public var end: Int
    public var byteStart: Int
    public var byteEnd: Int
    public var score: Double

    public init(type: EntityType, start: Int, end: Int, byteStart: Int, byteEnd: Int, score: Double) {
        self.type = type
        self.start = start
        self.end = end
        self.byteStart = byteStart
        self.byteEnd = byteEnd
        self.score = score
    }
}

/// A raw hit in byte offsets, before overlap resolution and code-point conversion.
struct Match {
    var start: Int
    var end: Int
    var kind: UInt16  // index into the scanner's type table
    var score: Float
}
