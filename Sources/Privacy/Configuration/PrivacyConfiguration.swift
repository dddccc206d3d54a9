/// Configuration of the privacy engine: the topology's top-level `privacy:` key.
///
/// ```yaml
/// privacy:
///   mechanism: blt            # tree | honaker | sqrt | blt (default)
///   rho: 0.5                  # ρ-zCDP per series per epoch
///   delta: 1.0e-6             # δ for the reported (ε, δ)
///   horizon: 1048576          # steps per epoch (a step is one release interval)
///   release_interval: 1m      # s, m, h or d
///   origin: 2026-11-01T00:00:00Z  # where step 0 begins (default: the Unix epoch); see below
///   unit: user                # event (default) | user
///   user_field: user_id       # required when unit is user
///   series_per_event: 1       # series one event updates (user unit: series families one record updates)
///   max_contributions_per_window: 5   # user unit, stream stage: records of one user per window (K)
///   max_windows_per_user: 12  # user unit, stream stage: windows one user reaches per epoch (M)
///   selection_delta: 1.0e-7   # δ of partition selection per person per epoch (stream stage)
///   max_rho_per_person: 1.5   # optional: the fairness counts and every aggregate together must fit
///   caps:                     # user unit, per-series bounding (instead of the two keys above)
///     per_window: 10          # rows of one user per window (Tumult's MaxRowsPerID)
///     per_series: 1           # contributions of one user to one series per epoch
///     per_user: 4             # contributions of one user per epoch (bounds MaxGroupsPerID)
///   post_processing:
///     round: true
///     non_negative: true
///     monotone: false
/// ```
///
/// Steps are counted from a fixed `origin` (RFC 3339), never from when a process started: a
/// window's step is its index from the origin, so its noise is the same in every run and after
/// every restart. Keep the origin fixed for the life of a noise key; a counter starting late in a
/// horizon epoch first draws the noise of the steps before (about a million draws per second).
public struct PrivacyConfiguration: Codable, Sendable, Equatable {
    public enum Mechanism: String, Codable, Sendable, CaseIterable {
        case tree, honaker, sqrt, blt
    }

    public enum Unit: String, Codable, Sendable {
        case event, user
    }

    public struct Caps: Codable, Sendable, Equatable {
        public var perWindow: Int64
        public var perSeries: Int64
        public var perUser: Int64

        public init(perWindow: Int64 = 10, perSeries: Int64 = 1, perUser: Int64 = 4) {
            self.perWindow = perWindow
            self.perSeries = perSeries
            self.perUser = perUser
        }

        enum CodingKeys: String, CodingKey {
            case perWindow = "per_window", perSeries = "per_series", perUser = "per_user"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Caps()
            perWindow = try c.decodeIfPresent(Int64.self, forKey: .perWindow) ?? defaults.perWindow
            perSeries = try c.decodeIfPresent(Int64.self, forKey: .perSeries) ?? defaults.perSeries
            perUser = try c.decodeIfPresent(Int64.self, forKey: .perUser) ?? defaults.perUser
        }
    }

    /// Post-processing of published cumulative counts; applied after release and marked as such.
    public struct PostProcessing: Codable, Sendable, Equatable {
        public var round: Bool
        public var nonNegative: Bool
        public var monotone: Bool

        public init(round: Bool = false, nonNegative: Bool = false, monotone: Bool = false) {
            self.round = round
            self.nonNegative = nonNegative
            self.monotone = monotone
        }

        public var isIdentity: Bool { !round && !nonNegative && !monotone }

        enum CodingKeys: String, CodingKey {
            case round, nonNegative = "non_negative", monotone
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            round = try c.decodeIfPresent(Bool.self, forKey: .round) ?? false
            nonNegative = try c.decodeIfPresent(Bool.self, forKey: .nonNegative) ?? false
            monotone = try c.decodeIfPresent(Bool.self, forKey: .monotone) ?? false
        }
    }

    public var mechanism: Mechanism
    public var rho: Double
    public var delta: Double
    public var horizon: Int64
    public var releaseInterval: String
    /// Where step 0 begins, as written (RFC 3339); nil is the Unix epoch.
    public var origin: String?
    public var unit: Unit
    public var userField: String?
    public var seriesPerEvent: Int64
    public var caps: Caps
    /// User unit over windows (the stream stage): at most K records of one user per window…
    public var maxContributionsPerWindow: Int64?
    /// …and at most M windows per user per epoch. With both set, `caps` follow from them: one user
    /// adds at most K·M to a series per epoch, and at most K·M to the series of one family (one
    /// count of one attribute, over all its groups), of which a record updates `seriesPerEvent`.
    public var maxWindowsPerUser: Int64?
    /// The δ partition selection adds per person per epoch (`PartitionSelection`): groups not
    /// declared public are released only above a noisy-count threshold.
    public var selectionDelta: Double
    /// The declared budget of one privacy unit per epoch that the fairness counts and every
    /// aggregate must fit together (validated with the topology); nil: not declared.
    public var maxRhoPerPerson: Double?
    public var postProcessing: PostProcessing

    public init(
        mechanism: Mechanism = .blt, rho: Double = 0.5, delta: Double = 1e-6, horizon: Int64 = 1 << 20,
        releaseInterval: String = "1m", unit: Unit = .event, userField: String? = nil, seriesPerEvent: Int64 = 1,
        caps: Caps = Caps(), maxContributionsPerWindow: Int64? = nil, maxWindowsPerUser: Int64? = nil,
        selectionDelta: Double = 1e-7, postProcessing: PostProcessing = PostProcessing()
    ) {
        self.mechanism = mechanism
        self.rho = rho
        self.delta = delta
        self.horizon = horizon
        self.releaseInterval = releaseInterval
        self.unit = unit
        self.userField = userField
        self.seriesPerEvent = seriesPerEvent
        self.caps = caps
        self.maxContributionsPerWindow = maxContributionsPerWindow
        self.maxWindowsPerUser = maxWindowsPerUser
        self.selectionDelta = selectionDelta
        self.postProcessing = postProcessing
        if let windowCaps = Self.caps(
            maxContributionsPerWindow: maxContributionsPerWindow, maxWindowsPerUser: maxWindowsPerUser,
            seriesPerEvent: seriesPerEvent)
        {
            self.caps = windowCaps
        }
    }

    /// The caps implied by K and M: per window K, per series K·M, per user K·M per family.
    static func caps(maxContributionsPerWindow: Int64?, maxWindowsPerUser: Int64?, seriesPerEvent: Int64) -> Caps? {
        guard let k = maxContributionsPerWindow, let m = maxWindowsPerUser, k >= 1, m >= 1, seriesPerEvent >= 1 else {
            return nil
        }
        let (perSeries, overflow) = k.multipliedReportingOverflow(by: m)
        let (perUser, overflow2) = perSeries.multipliedReportingOverflow(by: seriesPerEvent)
        guard !overflow, !overflow2 else { return nil }
        return Caps(perWindow: k, perSeries: perSeries, perUser: perUser)
    }

    /// Whether the user unit is bounded per window (K and M) rather than by `caps`.
    public var boundsWindows: Bool { maxContributionsPerWindow != nil || maxWindowsPerUser != nil }

    enum CodingKeys: String, CodingKey {
        case mechanism, rho, delta, horizon, unit, caps
        case origin
        case releaseInterval = "release_interval", userField = "user_field", seriesPerEvent = "series_per_event"
        case postProcessing = "post_processing"
        case maxContributionsPerWindow = "max_contributions_per_window", maxWindowsPerUser = "max_windows_per_user"
        case selectionDelta = "selection_delta", maxRhoPerPerson = "max_rho_per_person"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PrivacyConfiguration()
        mechanism = try c.decodeIfPresent(Mechanism.self, forKey: .mechanism) ?? d.mechanism
        rho = try c.decodeIfPresent(Double.self, forKey: .rho) ?? d.rho
        delta = try c.decodeIfPresent(Double.self, forKey: .delta) ?? d.delta
        horizon = try c.decodeIfPresent(Int64.self, forKey: .horizon) ?? d.horizon
        releaseInterval = try c.decodeIfPresent(String.self, forKey: .releaseInterval) ?? d.releaseInterval
        origin = try c.decodeIfPresent(String.self, forKey: .origin)
        unit = try c.decodeIfPresent(Unit.self, forKey: .unit) ?? d.unit
        userField = try c.decodeIfPresent(String.self, forKey: .userField)
        seriesPerEvent = try c.decodeIfPresent(Int64.self, forKey: .seriesPerEvent) ?? d.seriesPerEvent
        caps = try c.decodeIfPresent(Caps.self, forKey: .caps) ?? d.caps
        maxContributionsPerWindow = try c.decodeIfPresent(Int64.self, forKey: .maxContributionsPerWindow)
        maxWindowsPerUser = try c.decodeIfPresent(Int64.self, forKey: .maxWindowsPerUser)
        selectionDelta = try c.decodeIfPresent(Double.self, forKey: .selectionDelta) ?? d.selectionDelta
        maxRhoPerPerson = try c.decodeIfPresent(Double.self, forKey: .maxRhoPerPerson)
        postProcessing = try c.decodeIfPresent(PostProcessing.self, forKey: .postProcessing) ?? d.postProcessing
        if boundsWindows {
            if c.contains(.caps) {
                throw DecodingError.dataCorruptedError(
                    forKey: .caps, in: c,
                    debugDescription: "privacy.caps and max_contributions_per_window / max_windows_per_user are "
                        + "two ways to bound a user: keep one (the stream stage uses the latter)")
            }
            if let windowCaps = Self.caps(
                maxContributionsPerWindow: maxContributionsPerWindow, maxWindowsPerUser: maxWindowsPerUser,
                seriesPerEvent: seriesPerEvent)
            {
                caps = windowCaps
            }
        }
    }

    /// ρ as an exact rational (the decimal the configuration spelled).
    public var exactRho: Rational? { Rational(decimal: "\(rho)") }

    /// The release interval in seconds.
    public var releaseIntervalSeconds: Double? {
        guard let unitChar = releaseInterval.last else { return nil }
        let factor: Double
        switch unitChar {
        case "s": factor = 1
        case "m": factor = 60
        case "h": factor = 3600
        case "d": factor = 86400
        default: return Double(releaseInterval)
        }
        guard let value = Double(releaseInterval.dropLast()), value > 0 else { return nil }
        return value * factor
    }

    /// The contribution bound of one privacy unit to one series (sensitivity multiplier).
    public var contributionBound: Int64 { unit == .event ? 1 : caps.perSeries }

    /// Checks every field; each error says what is wrong and what would be right.
    public func validate() throws(PrivacyError) {
        guard rho > 0, rho.isFinite, let r = exactRho, r.numerator > 0 else {
            throw PrivacyError(.configuration, "privacy.rho must be a positive number such as 0.5 (got \(rho))")
        }
        guard delta > 0, delta < 1 else {
            throw PrivacyError(.configuration, "privacy.delta must be in (0, 1), e.g. 1.0e-6 (got \(delta))")
        }
        let maxHorizon = Int64(1) << BLTParameters.maximumLog2Horizon
        guard horizon >= 1, horizon <= maxHorizon else {
            throw PrivacyError(.configuration, "privacy.horizon must be in 1...\(maxHorizon) steps (got \(horizon))")
        }
        if mechanism == .sqrt && horizon > 1 << 16 {
            throw PrivacyError(
                .configuration,
                "privacy.mechanism sqrt keeps the whole history (O(T) per step): use blt for horizons above 65536")
        }
        guard releaseIntervalSeconds != nil else {
            throw PrivacyError(
                .configuration, "privacy.release_interval must be a duration such as 30s, 1m, 1h (got \(releaseInterval))")
        }
        guard selectionDelta > 0, selectionDelta < 1 else {
            throw PrivacyError(
                .configuration, "privacy.selection_delta must be in (0, 1), e.g. 1.0e-7 (got \(selectionDelta))")
        }
        if let maxRhoPerPerson, !(maxRhoPerPerson > 0 && maxRhoPerPerson.isFinite) {
            throw PrivacyError(
                .configuration, "privacy.max_rho_per_person must be a positive number such as 1.5 (got \(maxRhoPerPerson))")
        }
        guard seriesPerEvent >= 1 else {
            throw PrivacyError(.configuration, "privacy.series_per_event must be at least 1")
        }
        if boundsWindows {
            guard unit == .user else {
                throw PrivacyError(
                    .configuration,
                    "privacy.max_contributions_per_window and max_windows_per_user bound a user: set unit: user")
            }
            guard let k = maxContributionsPerWindow, let m = maxWindowsPerUser, k >= 1, m >= 1,
                k <= 1 << 20, m <= horizon
            else {
                throw PrivacyError(
                    .configuration,
                    "privacy.max_contributions_per_window (K, 1...1048576) and max_windows_per_user (M, 1...horizon) "
                        + "are both needed with unit: user, e.g. K = 5 and M = 12")
            }
            guard
                caps
                    == Self.caps(maxContributionsPerWindow: k, maxWindowsPerUser: m, seriesPerEvent: seriesPerEvent)
            else {
                throw PrivacyError(
                    .configuration, "privacy.caps must follow from K, M and series_per_event (K·M is too large?)")
            }
        }
        if unit == .user {
            guard let field = userField, !field.isEmpty else {
                throw PrivacyError(.configuration, "privacy.user_field is required when privacy.unit is user")
            }
            guard caps.perWindow >= 1, caps.perSeries >= 1, caps.perUser >= caps.perSeries else {
                throw PrivacyError(
                    .configuration, "privacy.caps need per_window ≥ 1, per_series ≥ 1 and per_user ≥ per_series")
            }
        }
    }
}
