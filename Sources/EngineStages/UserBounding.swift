import Fairness
import Pipeline
import Privacy

/// The fairness stage's per-user contribution bounding (`privacy.unit: user`): which record field
/// names the person, and the bounder's state. The state is a `Codable` value owned by the stage
/// (never process-global), so it goes wherever the stage's durable state goes; the fingerprinter
/// is derived from the noise key when the stage is built and is never part of that state.
public struct UserBounding: Sendable {
    public let userField: String
    let userPath: FieldPath
    public var bounder: WindowContributionBounder
    /// The per-person guarantee per epoch, composed over every series a person's records update.
    public let guarantee: PrivacyGuarantee
    let fingerprinter: UserFingerprinter

    public init(configuration: PrivacyConfiguration, key: NoiseKey, originIndex: Int64 = 0) throws {
        guard configuration.unit == .user, let field = configuration.userField,
            let k = configuration.maxContributionsPerWindow, let m = configuration.maxWindowsPerUser
        else {
            throw EngineConfigurationError(
                "privacy.unit user in the fairness stage needs user_field, max_contributions_per_window and "
                    + "max_windows_per_user")
        }
        userField = field
        userPath = FieldPath(field)
        // Bounding epochs are the noise epochs: `horizon` windows each, counted from the privacy
        // origin's window (`originIndex`).
        bounder = WindowContributionBounder(
            maxContributionsPerWindow: k, maxWindowsPerUser: m, epochWindows: configuration.horizon,
            epochOrigin: originIndex)
        fingerprinter = UserFingerprinter(key: key)
        guarantee = PrivacyGuarantee(configuration: configuration)
    }

    /// Whether one record of `user` that falls in `windows` may reach the counts.
    mutating func admit(_ user: UserFingerprint, windows: ClosedRange<Int64>) -> Bool {
        bounder.admit(user, windows: windows)
    }

    /// Forgets what windows before `firstOpen` held.
    mutating func close(windowsBefore firstOpen: Int64) { bounder.close(windowsBefore: firstOpen) }

    /// What the `privacy` member of every window message adds for the user unit: the user field,
    /// the caps, the epoch and the budget of one series (the per-person figures are the statement's).
    var members: [(key: String, value: JSONValue)] {
        [
            ("user_field", .string(userField)),
            ("max_contributions_per_window", FairnessJSON.number(Double(bounder.maxContributionsPerWindow))),
            ("max_windows_per_user", FairnessJSON.number(Double(bounder.maxWindowsPerUser))),
            ("epoch_windows", FairnessJSON.number(Double(bounder.epochWindows))),
            ("series_rho", FairnessJSON.number(guarantee.seriesRho)),
        ]
    }

    /// The record's user, or nil when the field is missing, null or not a string or number.
    func user(of record: JSONValue) -> UserFingerprint? {
        switch userPath.value(in: record) {
        case .string(let text) where !text.isEmpty: fingerprinter.fingerprint(kind: UInt8(ascii: "s"), text)
        case .number(let lexeme): fingerprinter.fingerprint(kind: UInt8(ascii: "n"), lexeme)
        default: nil
        }
    }
}
