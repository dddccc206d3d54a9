/// Offline evaluation of a mechanism on a known stream: what `steward privacy simulate` runs.
///
/// Noise comes from a key derived from a public seed, so results are reproducible and NOT
/// private; the service always uses its secret key.
public struct Simulation: Sendable {
    public let engine: PrivacyEngine
    public let increments: [Int64]

    /// - Parameters:
    ///   - increments: the per-step increments (non-negative); the horizon is their count.
    public init(mechanism: PrivacyConfiguration.Mechanism, rho: Double, increments: [Int64], seed: UInt64)
        throws(PrivacyError)
    {
        let configuration = PrivacyConfiguration(
            mechanism: mechanism, rho: rho, horizon: Int64(max(increments.count, 1)))
        engine = try PrivacyEngine(configuration: configuration, key: NoiseKey.evaluationOnly(seed: seed))
        self.increments = increments
    }

    /// The raw noisy prefix sums of run `run` (each run is an independent series).
    public func run(_ run: Int) -> [Double] {
        var counter = engine.makeCounter(series: "simulate/run-\(run)")
        var out: [Double] = []
        out.reserveCapacity(increments.count)
        for (step, x) in increments.enumerated() {
            counter.add(x)
            // Steps are consecutive and within the horizon, so release cannot fail.
            out.append(try! counter.release(step: Int64(step)).value)
        }
        return out
    }

    /// Accuracy of several runs against the true prefix sums and the theory.
    public struct Summary: Sendable {
        public let maxRMSE: Double
        public let meanRMSE: Double
        public let theoreticalMaxRMSE: Double
        public let theoreticalMeanRMSE: Double
    }

    /// Per-step RMSE over `runs` runs, summarised by its maximum and mean over steps.
    public func summary(runs: Int, each: (Int, [Double]) -> Void = { _, _ in }) -> Summary {
        var truth: [Double] = []
        var sum = 0.0
        for x in increments {
            sum += Double(x)
            truth.append(sum)
        }
        var squared = Array(repeating: 0.0, count: increments.count)
        for r in 0..<runs {
            let values = run(r)
            each(r, values)
            for t in values.indices {
                let e = values[t] - truth[t]
                squared[t] += e * e
            }
        }
        let rmse = squared.map { ($0 / Double(max(runs, 1))).squareRoot() }
        let theory = (1...max(increments.count, 1)).map { engine.theoreticalRMSE(afterSteps: Int64($0)) }
        return Summary(
            maxRMSE: rmse.max() ?? 0, meanRMSE: rmse.reduce(0, +) / Double(max(rmse.count, 1)),
            theoreticalMaxRMSE: theory.max() ?? 0,
            theoreticalMeanRMSE: theory.reduce(0, +) / Double(max(theory.count, 1)))
    }
}

/// Theoretical accuracy of every mechanism, for choosing a budget before deploying.
public enum AccuracyTable {
    /// Max over steps 1...horizon of the RMSE of a released prefix sum, event-level, budget ρ.
    public static func maxRMSE(mechanism: PrivacyConfiguration.Mechanism, rho: Double, horizon: Int64) throws(PrivacyError)
        -> Double
    {
        guard let exact = Rational(decimal: "\(rho)"), rho > 0 else {
            throw PrivacyError(.configuration, "rho must be a positive decimal (got \(rho))")
        }
        switch mechanism {
        case .tree, .honaker:
            let plan = TreePlan(horizon: horizon, rho: exact, contributionBound: 1, honaker: mechanism == .honaker)
            return plan.maxVariance(horizon: horizon).squareRoot()
        case .sqrt:
            return SqrtPlan.maxVariance(horizon: horizon, rho: exact, contributionBound: 1).squareRoot()
        case .blt:
            let plan = try BLTPlan(
                parameters: try BLTParameters.fitted(forHorizon: horizon), horizon: horizon, rho: exact,
                contributionBound: 1)
            return plan.stepVariance(horizon).squareRoot()
        }
    }
}
