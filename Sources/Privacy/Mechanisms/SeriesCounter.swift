/// One published number: a noisy prefix sum of one series at one step, with its guarantee.
public struct NoisyRelease: Sendable, Codable, Equatable {
    /// The series id.
    public let series: String
    /// The step (0-based index of the release interval) this value covers, through its end.
    public let step: Int64
    /// The raw noisy prefix sum (what the mechanism released; no post-processing).
    public let value: Double
    /// The published value: `value` after the configured post-processing (equal if none).
    public let published: Double
    /// True when `published` differs from `value` by post-processing (rounding, clamping, monotone).
    public let postProcessed: Bool
    /// Variance and standard deviation of `value` around the true prefix sum.
    public let variance: Double
    public let standardDeviation: Double
    /// ρ of one privacy unit per epoch (composed across series), and the equivalent (ε, δ).
    public let rho: Double
    public let epsilon: Double
    public let delta: Double
    /// The mechanism's name: tree, honaker, sqrt or blt.
    public let mechanism: String
    /// The epoch (streams longer than the horizon continue in new epochs).
    public let epoch: Int64
}

/// The plan shared by every series of one configuration (immutable; cheap to copy).
enum CounterPlan: Sendable {
    case tree(TreePlan)
    case sqrt(SqrtPlan)
    case blt(BLTPlan)
}

/// The mechanism state of one series in one epoch.
enum CounterState: Sendable, Codable, Equatable {
    case tree(TreeCounter)
    case sqrt(SqrtCounter)
    case blt(BLTCounter)

    init(plan: CounterPlan) {
        switch plan {
        case .tree(let p): self = .tree(TreeCounter(levels: p.levels))
        case .sqrt: self = .sqrt(SqrtCounter())
        case .blt(let p): self = .blt(BLTCounter(buffers: p.theta.count))
        }
    }

    mutating func add(_ value: Int64) {
        switch self {
        case .tree(var c):
            c.add(value)
            self = .tree(c)
        case .sqrt(var c):
            c.add(value)
            self = .sqrt(c)
        case .blt(var c):
            c.add(value)
            self = .blt(c)
        }
    }

    mutating func release(plan: CounterPlan, noise: SeriesNoise) -> (value: Double, variance: Double) {
        // Each case first drops this enum's reference to the counter's buffers (an empty
        // placeholder allocates nothing), so mutating them does not copy them.
        if case .blt(let p) = plan, case .blt(var c) = self {
            self = .sqrt(SqrtCounter())
            let r = c.release(plan: p, noise: noise)
            self = .blt(c)
            return r
        }
        switch (self, plan) {
        case (.tree, .tree(let p)):
            guard case .tree(var c) = self else { preconditionFailure() }
            self = .sqrt(SqrtCounter())
            let r = c.release(plan: p, noise: noise)
            self = .tree(c)
            return r
        case (.sqrt, .sqrt(let p)):
            guard case .sqrt(var c) = self else { preconditionFailure() }
            self = .sqrt(SqrtCounter())
            let r = c.release(plan: p, noise: noise)
            self = .sqrt(c)
            return r
        case (.blt, .blt(let p)):
            guard case .blt(var c) = self else { preconditionFailure() }
            self = .sqrt(SqrtCounter())
            let r = c.release(plan: p, noise: noise)
            self = .blt(c)
            return r
        default:
            preconditionFailure("counter state does not match its plan")
        }
    }
}

/// The privacy engine of one topology: plans, guarantee and key, shared by all its series.
public struct PrivacyEngine: Sendable {
    public let configuration: PrivacyConfiguration
    public let guarantee: PrivacyGuarantee
    private(set) var plan: CounterPlan
    let key: NoiseKey

    /// Validates `configuration` and precomputes the mechanism (for BLT a few milliseconds).
    public init(configuration: PrivacyConfiguration, key: NoiseKey) throws(PrivacyError) {
        try configuration.validate()
        self.configuration = configuration
        self.key = key
        guarantee = PrivacyGuarantee(configuration: configuration)
        let rho = configuration.exactRho!
        let bound = configuration.contributionBound
        switch configuration.mechanism {
        case .tree, .honaker:
            plan = .tree(
                TreePlan(
                    horizon: configuration.horizon, rho: rho, contributionBound: bound,
                    honaker: configuration.mechanism == .honaker))
        case .sqrt:
            plan = .sqrt(try SqrtPlan(horizon: configuration.horizon, rho: rho, contributionBound: bound))
        case .blt:
            plan = .blt(
                try BLTPlan(
                    parameters: try BLTParameters.fitted(forHorizon: configuration.horizon),
                    horizon: configuration.horizon, rho: rho, contributionBound: bound))
        }
    }

    /// Test seam: this engine with every noise draw 0, so its releases are the exact prefix sums
    /// (up to the fixed-point rounding of the Toeplitz mechanisms) with the same reported variances.
    /// Internal: only `@testable` tests reach it.
    func silencedForTesting() -> PrivacyEngine {
        var engine = self
        switch plan {
        case .tree(var p):
            p.sampler.isSilencedForTesting = true
            engine.plan = .tree(p)
        case .sqrt(var p):
            p.sampler.isSilencedForTesting = true
            engine.plan = .sqrt(p)
        case .blt(let p):
            var sampler = p.sampler
            sampler.isSilencedForTesting = true
            engine.plan = .blt(BLTPlan(p, sampler: sampler))
        }
        return engine
    }

    /// A new counter for `series` (e.g. "window=1h|group=A|outcome=approved"), starting at step 0.
    public func makeCounter(series: String) -> SeriesCounter {
        SeriesCounter(engine: self, series: series)
    }

    /// A new counter for `series` whose first release is at absolute step `step` or later (see
    /// `SeriesCounter.init(engine:series:startingAt:)`).
    public func makeCounter(series: String, startingAt step: Int64) -> SeriesCounter {
        SeriesCounter(engine: self, series: series, startingAt: step)
    }

    /// Restores a counter from a changelog snapshot.
    public func restoreCounter(_ snapshot: SeriesCounter.Snapshot) throws(PrivacyError) -> SeriesCounter {
        guard snapshot.mechanism == configuration.mechanism.rawValue, snapshot.horizon == configuration.horizon else {
            throw PrivacyError(
                .snapshot, "snapshot of series \(snapshot.series) was made with another mechanism or horizon")
        }
        return SeriesCounter(engine: self, snapshot: snapshot)
    }

    /// Theoretical max over steps 1...horizon of the RMSE of a released prefix sum.
    public var theoreticalMaxRMSE: Double {
        switch plan {
        case .tree(let p): p.maxVariance(horizon: configuration.horizon).squareRoot()
        case .sqrt(let p): p.stepVariance(configuration.horizon).squareRoot()
        case .blt(let p): p.stepVariance(configuration.horizon).squareRoot()
        }
    }

    /// Variance of one step's own count, the difference of the prefix sums released at `step` and
    /// `step − 1` (`step` 0-based within its epoch; at an epoch's first step the previous epoch's
    /// final value is carried over exactly, so the difference is that step's release alone). Nil
    /// for the tree mechanisms, whose node estimates make it depend on the step's binary form; use
    /// the bound (σ_start + σ_end)² there.
    public func differenceVariance(positionInEpoch step: Int64) -> Double? {
        switch plan {
        case .tree: nil
        case .sqrt(let p): p.differenceVariance(step)
        case .blt(let p): p.differenceVariance(step)
        }
    }

    /// Theoretical RMSE of the released prefix sum after `step` steps (1-based count).
    public func theoreticalRMSE(afterSteps step: Int64) -> Double {
        switch plan {
        case .tree(let p):
            var total = 0.0
            var bits = UInt64(step)
            while bits != 0 {
                total += p.nodeVariance[bits.trailingZeroBitCount]
                bits &= bits - 1
            }
            return total.squareRoot()
        case .sqrt(let p): return p.stepVariance(step).squareRoot()
        case .blt(let p): return p.stepVariance(step).squareRoot()
        }
    }
}

/// The continual counter of one series: contributions add to the current step, and each release
/// closes a step and publishes a noisy prefix sum. A value type: the pipeline owns it, snapshots
/// it to the changelog, and restores it after a restart; released noise is a pure function of
/// (noise key, series, epoch, step), so a replay re-releases identical values.
public struct SeriesCounter: Sendable {
    public let series: String
    let engine: PrivacyEngine
    var noise: SeriesNoise
    var state: CounterState
    /// Steps released so far (all epochs).
    public private(set) var nextStep: Int64 = 0
    /// Raw prefix sum and variance carried over from finished epochs.
    var carry: Double = 0
    var carryVariance: Double = 0
    var lastPublished: Double?
    var lastRelease: NoisyRelease?

    init(engine: PrivacyEngine, series: String) {
        self.series = series
        self.engine = engine
        noise = Self.noise(engine: engine, series: series, epoch: 0)
        state = CounterState(plan: engine.plan)
    }

    static func noise(engine: PrivacyEngine, series: String, epoch: Int64) -> SeriesNoise {
        engine.key.series(epoch == 0 ? series : "\(series)\u{0}epoch\(epoch)")
    }

    /// A counter whose first release will be `step` or later: it starts at the beginning of the
    /// epoch holding `step` (epochs are `horizon` steps long), not at step 0, so a series first
    /// seen late in a long stream does not replay every earlier epoch. Within the epoch, the steps
    /// before `step` are released with zero increments when `step` is reached, so every noise draw
    /// keeps its absolute step: the noise of any step is the same whichever step the counter was
    /// started for.
    init(engine: PrivacyEngine, series: String, startingAt step: Int64) {
        self.init(engine: engine, series: series)
        let epoch = max(0, step) / engine.configuration.horizon
        if epoch > 0 {
            nextStep = epoch * engine.configuration.horizon
            noise = Self.noise(engine: engine, series: series, epoch: epoch)
        }
    }

    /// The count of one step alone: the release of `step` minus the raw value released for
    /// `step − 1` (released here with zero increments if it was skipped). Its noise is one row of
    /// the mechanism's C⁻¹z — a pure function of (noise key, series, `step`) whatever the counter
    /// released before, so a restarted process that re-releases a step adds that step's own noise
    /// and never another step's. Contributions added since the last release count in `step`.
    public mutating func releaseStep(_ step: Int64) throws(PrivacyError) -> (release: NoisyRelease, count: Double) {
        var previous = carry
        if step > nextStep {
            var pending = SeriesCounter.detachPending(&state)
            previous = try release(step: step - 1).value
            state.add(pending)
            pending = 0
        } else if let last = lastRelease, last.step == step - 1 {
            previous = last.value
        } else if step < nextStep {
            throw PrivacyError(.snapshot, "step \(step) of series \(series) was released before and is not kept")
        }
        let current = try release(step: step)
        return (current, current.value - previous)
    }

    /// Adds `value` (a bounded contribution, usually 1) to the current step.
    public mutating func add(_ value: Int64) { state.add(value) }

    /// Closes every step up to and including `step` (0-based) and returns the release of `step`.
    /// Contributions added since the last release count in `step`; skipped steps release zero
    /// increments. Asking again for the latest released step returns the same release without
    /// spending budget; asking for an older step is an error.
    public mutating func release(step: Int64) throws(PrivacyError) -> NoisyRelease {
        // Compare the step before copying the whole release (the common case is a new step).
        if lastRelease?.step == step, let last = lastRelease { return last }
        guard step >= nextStep else {
            throw PrivacyError(.snapshot, "step \(step) of series \(series) was released before and is not kept")
        }
        if step > nextStep {
            var pending = SeriesCounter.detachPending(&state)
            while nextStep < step { _ = releaseNext() }
            state.add(pending)
            pending = 0
        }
        return releaseNext()
    }

    static func detachPending(_ state: inout CounterState) -> Int64 {
        let pending: Int64
        switch state {
        case .tree(let c): pending = c.pending
        case .sqrt(let c): pending = c.pending
        case .blt(let c): pending = c.pending
        }
        state.add(-pending)
        return pending
    }

    mutating func releaseNext() -> NoisyRelease {
        let horizon = engine.configuration.horizon
        let epoch = nextStep / horizon
        let (raw, variance) = state.release(plan: engine.plan, noise: noise)
        let value = carry + raw
        let totalVariance = carryVariance + variance
        let published = postProcess(value)
        let guarantee = engine.guarantee
        let release = NoisyRelease(
            series: series, step: nextStep, value: value, published: published,
            postProcessed: !engine.configuration.postProcessing.isIdentity, variance: totalVariance,
            standardDeviation: totalVariance.squareRoot(), rho: guarantee.rho, epsilon: guarantee.epsilon,
            delta: guarantee.delta, mechanism: engine.configuration.mechanism.rawValue, epoch: epoch)
        nextStep += 1
        lastRelease = release
        if nextStep % horizon == 0 {
            // Epoch boundary: keep the final noisy total, start a fresh counter with fresh noise.
            carry = value
            carryVariance = totalVariance
            state = CounterState(plan: engine.plan)
            noise = Self.noise(engine: engine, series: series, epoch: nextStep / horizon)
        }
        return release
    }

    mutating func postProcess(_ value: Double) -> Double {
        let options = engine.configuration.postProcessing
        var v = value
        if options.nonNegative { v = max(0, v) }
        if options.monotone, let last = lastPublished { v = max(last, v) }
        if options.round { v = v.rounded() }
        lastPublished = v
        return v
    }

    /// Everything needed to continue this counter after a restart (Codable, for the changelog).
    /// The last release is kept as its step and numbers only; the rest of it (guarantee,
    /// mechanism, epoch) follows from the engine it is restored into.
    public struct Snapshot: Sendable, Codable, Equatable {
        public let series: String
        public let mechanism: String
        public let horizon: Int64
        let state: CounterState
        public let nextStep: Int64
        let carry: Double
        let carryVariance: Double
        let lastPublished: Double?
        let last: LastRelease?

        struct LastRelease: Sendable, Codable, Equatable {
            let step: Int64
            let value: Double
            let published: Double
            let variance: Double
        }
    }

    public func snapshot() -> Snapshot {
        Snapshot(
            series: series, mechanism: engine.configuration.mechanism.rawValue,
            horizon: engine.configuration.horizon, state: state, nextStep: nextStep, carry: carry,
            carryVariance: carryVariance, lastPublished: lastPublished,
            last: lastRelease.map {
                Snapshot.LastRelease(step: $0.step, value: $0.value, published: $0.published, variance: $0.variance)
            })
    }

    init(engine: PrivacyEngine, snapshot: Snapshot) {
        self.engine = engine
        series = snapshot.series
        state = snapshot.state
        nextStep = snapshot.nextStep
        carry = snapshot.carry
        carryVariance = snapshot.carryVariance
        lastPublished = snapshot.lastPublished
        let guarantee = engine.guarantee
        lastRelease = snapshot.last.map {
            NoisyRelease(
                series: snapshot.series, step: $0.step, value: $0.value, published: $0.published,
                postProcessed: !engine.configuration.postProcessing.isIdentity, variance: $0.variance,
                standardDeviation: $0.variance.squareRoot(), rho: guarantee.rho, epsilon: guarantee.epsilon,
                delta: guarantee.delta, mechanism: engine.configuration.mechanism.rawValue,
                epoch: $0.step / engine.configuration.horizon)
        }
        noise = Self.noise(engine: engine, series: snapshot.series, epoch: snapshot.nextStep / engine.configuration.horizon)
    }
}
