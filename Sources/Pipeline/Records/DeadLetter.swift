/// Why a record could not be processed. The raw values are stable codes that consumers of the
/// dead-letter topic match on; never rename one.
public enum DeadLetterReason: String, Sendable, CaseIterable {
    case invalidUTF8 = "invalid_utf8"
    case invalidJSON = "invalid_json"
    case missingField = "missing_field"
    case wrongType = "wrong_type"
    case tooLarge = "too_large"
    case invalidTimestamp = "invalid_timestamp"
    /// The redaction engine could not handle a field (the detail names the path, never the value).
    case redactionFailed = "redaction_failed"
    /// The model could not score the record (e.g. a missing feature with policy `dead_letter`).
    case scoringFailed = "scoring_failed"
    /// A stream stage received a record later than every window it could still count it in.
    case lateEvent = "late_event"
    /// A private stream stage received a record from before its privacy origin, where no step exists.
    case beforePrivacyOrigin = "before_privacy_origin"
}

/// A record rejected by a stage: the code, and a detail that never quotes the record's content.
public struct Rejection: Error, Sendable, Equatable {
    public var reason: DeadLetterReason
    public var detail: String

    public init(_ reason: DeadLetterReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}
