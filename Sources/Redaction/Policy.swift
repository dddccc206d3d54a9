/// How to de-identify one value.
public enum Operator: Sendable, Equatable {
    /// Replace with a label, `<TYPE>` by default (`template` may use `{type}`).
    case replace(template: String?)
    /// Remove the value (empty string in text; empty string for a field).
    case redact
    /// Replace every code point but the last `keepLast` with `char`; with `keepSeparators`, only letters
    /// and digits are masked.
    case mask(char: Character, keepLast: Int, keepSeparators: Bool)
    /// `<TYPE_hex>` where hex is the first `length` hex digits of HMAC-SHA-256(key, TYPE ‖ 0x00 ‖ value):
    /// stable across runs and machines for one key, so joins still work; never an unsalted hash.
    case pseudonym(length: Int)
    /// `<ENC_TYPE_hex>`: deterministic AES-GCM-SIV under a key derived from the redaction key, with the
    /// type as associated data; `steward redact --decrypt` recovers the value.
    case encrypt
    /// Coarsen: a date to its year or month, an age to a band, a number to a bucket, a code to a prefix.
    case generalize(Generalization)
    /// Add bounded random noise to a numeric field. This is NOT differential privacy: no privacy budget
    /// is tracked and repeated releases average the noise away.
    case noise(scale: Double, distribution: NoiseDistribution, decimals: Int?)
    /// Remove the field from the record (in free text: the same as `redact`).
    case drop
    /// Leave the value as it is.
    case keep

    public var name: String {
        switch self {
        case .replace: return "replace"
        case .redact: return "redact"
        case .mask: return "mask"
        case .pseudonym: return "pseudonym"
        case .encrypt: return "encrypt"
        case .generalize: return "generalize"
        case .noise: return "noise"
        case .drop: return "drop"
        case .keep: return "keep"
        }
    }

    /// Whether the operator needs the redaction key.
    public var needsKey: Bool {
        switch self {
        case .pseudonym, .encrypt: return true
        default: return false
        }
    }
}

public enum Generalization: Sendable, Equatable {
    case year
    case month
    /// Age in years → `"30-39"` for width 10.
    case ageBand(width: Int)
    /// Any number → the lower bound of its bucket, `"1000-1999"` for width 1000.
    case bucket(width: Double)
    /// Keep the first `count` characters (a postcode's outward part, say) and drop the rest.
    case prefix(count: Int)
}

public enum NoiseDistribution: String, Sendable, Equatable {
    case uniform, laplace, gaussian
}

/// What to do with text that is not valid UTF-8.
public enum InvalidUTF8Policy: String, Sendable, Equatable {
    /// Replace each ill-formed sequence with U+FFFD and go on.
    case replace
    /// Refuse the record (the pipeline sends it to the dead-letter queue).
    case reject
}

/// A user-defined pattern (see `UserPattern` for the syntax).
public struct PatternSpec: Sendable, Equatable {
    public var name: String
    public var pattern: String
    public var score: Double
    public var wordBoundary: Bool
    /// Words that raise a match's score when one occurs (ASCII letters in any case) in the
    /// `contextWindow` bytes before it: by `PatternSpec.contextBoost`, to at least
    /// `PatternSpec.contextFloor`, at most 1 — Presidio's context enhancement for pattern recognisers.
    /// A pattern scored below `min_score` is then reported only with context.
    public var context: [String]
    public var contextWindow: Int

    /// How much a context word raises a match's score, and the least score it then has.
    public static let contextBoost = 0.35
    public static let contextFloor = 0.4
    /// The context window, in bytes before the match, when the policy gives none.
    public static let defaultContextWindow = 32

    public init(name: String, pattern: String, score: Double = 0.85, wordBoundary: Bool = true,
                context: [String] = [], contextWindow: Int = PatternSpec.defaultContextWindow) {
        self.name = name
        self.pattern = pattern
        self.score = score
        self.wordBoundary = wordBoundary
        self.context = context
        self.contextWindow = contextWindow
    }

    /// The score of a match, with or without a context word before it.
    public func score(withContext: Bool) -> Double { withContext ? Self.boosted(score) : score }

    /// `score` raised by a context word: + `contextBoost`, at least `contextFloor`, at most 1.
    public static func boosted(_ score: Double) -> Double { min(1, max(score + contextBoost, contextFloor)) }
}

/// A user-defined dictionary: terms (one or several words) reported as `name` where they occur as
/// whole words — Presidio's `deny_list`. Matched as written, or ignoring case when `caseInsensitive`
/// (see `CaseFold`). Context words work as for patterns (`PatternSpec.context`).
public struct DictionarySpec: Sendable, Equatable {
    public var name: String
    public var terms: [String]
    public var caseInsensitive: Bool
    public var score: Double
    public var context: [String]
    public var contextWindow: Int
    public init(name: String, terms: [String], caseInsensitive: Bool = false, score: Double = 0.85,
                context: [String] = [], contextWindow: Int = PatternSpec.defaultContextWindow) {
        self.name = name
        self.terms = terms
        self.caseInsensitive = caseInsensitive
        self.score = score
        self.context = context
        self.contextWindow = contextWindow
    }

    /// The score of a match, with or without a context word before it (as `PatternSpec`'s).
    public func score(withContext: Bool) -> Double { withContext ? PatternSpec.boosted(score) : score }
}

/// One structured field rule: the values at `path` get `operator`, labelled `entity` in replacements.
public struct FieldRule: Sendable, Equatable {
    public var path: JSONPath
    public var `operator`: Operator
    public var entity: EntityType
    public init(path: JSONPath, operator: Operator, entity: EntityType = EntityType("REDACTED")) {
        self.path = path
        self.operator = `operator`
        self.entity = entity
    }
}

/// The `redaction:` section of a topology.
public struct RedactionPolicy: Sendable, Equatable {
    /// Built-in and user types to detect. Default: every built-in.
    public var entities: Set<EntityType> = Set(EntityType.builtIn)
    /// Hits below this score are ignored.
    public var minScore: Double = 0.5
    public var defaultOperator: Operator = .replace(template: nil)
    public var operators: [EntityType: Operator] = [:]
    public var fields: [FieldRule] = []
    /// Free-text fields to scan. `nil` scans every string in the record.
    public var scan: [JSONPath]? = nil
    public var patterns: [PatternSpec] = []
    public var dictionaries: [DictionarySpec] = []
    public var useBuiltInGazetteer = true
    public var extraFirstNames: [String] = []
    public var extraLastNames: [String] = []
    public var extraLocations: [String] = []
    /// Date handling: dates are not always personal; turn detection off or keep only one form.
    public var detectNumericDates = true
    public var detectLongDates = true
    /// Whether a domain name without a scheme or `www.` ("kato.com") is reported as a URL (with a lower
    /// score than a scheme- or www-prefixed one).
    public var detectBareDomains = true
    public var invalidUTF8: InvalidUTF8Policy = .replace
    /// Values never reported: a detected entity whose whole text is one of these stays as it is
    /// (product names that are also first names, the company's own address, agents' names).
    public var allow: [String] = []
    /// Whether `allow` matches ignoring case (Unicode lowercasing); exact bytes otherwise.
    public var allowCaseInsensitive = false

    public init() {}

    public static let `default` = RedactionPolicy()

    public func `operator`(for type: EntityType) -> Operator { operators[type] ?? defaultOperator }

    /// Whether any configured operator needs the redaction key.
    public var needsKey: Bool {
        defaultOperator.needsKey || operators.values.contains { $0.needsKey } || fields.contains { $0.operator.needsKey }
    }
}

/// Why a policy, a key or a record was refused. Messages name fields, paths and types — never a value.
public enum RedactionError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidPolicy(String)
    case missingKey(String)
    case invalidKey(String)
    case invalidUTF8(byteOffset: Int)
    case invalidRecord(String)
    case decryptionFailed(String)

    /// The stable snake_case code of the kind of problem, as the other engines' errors carry one.
    public var code: String {
        switch self {
        case .invalidPolicy: "invalid_policy"
        case .missingKey: "missing_key"
        case .invalidKey: "invalid_key"
        case .invalidUTF8: "invalid_utf8"
        case .invalidRecord: "invalid_record"
        case .decryptionFailed: "decryption_failed"
        }
    }

    public var description: String {
        switch self {
        case .invalidPolicy(let m): return "invalid redaction policy: \(m)"
        case .missingKey(let m): return "missing redaction key: \(m)"
        case .invalidKey(let m): return "invalid redaction key: \(m)"
        case .invalidUTF8(let o): return "input is not valid UTF-8 (first bad byte at offset \(o))"
        case .invalidRecord(let m): return "invalid record: \(m)"
        case .decryptionFailed(let m): return "decryption failed: \(m)"
        }
    }
}
