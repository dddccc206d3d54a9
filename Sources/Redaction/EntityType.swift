import Synchronization

/// The kind of a detected span. Built-in kinds are spelled as Presidio spells them, so reports and
/// policies carry over; user-defined patterns and dictionaries add their own names.
///
/// A type is one pointer to its interned name (one object per distinct name, kept for the life of
/// the process), so `Entity` is a plain value: arrays of entities are made and freed without
/// reference counting per element, and two types compare by identity. Make types from configuration
/// and code, not from record data: every distinct name stays in memory.
public struct EntityType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    private let name: Unmanaged<EntityName>
    public var rawValue: String { name._withUnsafeGuaranteedRef { $0.value } }
    public init(rawValue: String) { name = EntityName.intern(rawValue) }
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }
    public var description: String { rawValue }
    public static func == (lhs: EntityType, rhs: EntityType) -> Bool { lhs.name.toOpaque() == rhs.name.toOpaque() }
    public func hash(into hasher: inout Hasher) { hasher.combine(name.toOpaque()) }
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

/// An interned entity-type name. Names come from policies and code, not from records, so the table
/// stays as small as the set of configured types.
final class EntityName: Sendable {
    let value: String
    private init(_ value: String) { self.value = value }

    private static let table = Mutex<[String: Unmanaged<EntityName>]>([:])

    /// The one object for `value`, created (and retained for good) the first time the name is seen.
    static func intern(_ value: String) -> Unmanaged<EntityName> {
        table.withLock { names in
            if let known = names[value] { return known }
            let made = Unmanaged.passRetained(EntityName(value))
            names[value] = made
            return made
        }
    }
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
