import Foundation
import Testing

@testable import Privacy

/// `PrivacyEngine.differenceVariance(from:to:)`, the noise variance of a run of steps (the difference of two
/// prefix sums), against the explicit noise matrix and against the noise the counters actually draw.
@Suite struct RunNoiseTests {
    static func engine(_ mechanism: PrivacyConfiguration.Mechanism, horizon: Int64) throws -> PrivacyEngine {
        try AbsoluteStepTests.engine(mechanism, horizon: horizon)
    }

    /// The noise of the prefix released at absolute step `step`, as coefficients on the draws: epoch `e`'s draw
    /// `j` is coordinate `e·horizon + j`. Built from the mechanism's definition, not from `NoiseDynamics`: for
    /// sqrt the prefix noise is C·z (`c_{t−j}`), for BLT it is A·C⁻¹·z (partial sums of C⁻¹'s coefficients `r`,
    /// computed by the recurrence of C's generating function); a finished epoch's final prefix is carried over.
    static func prefixRow(_ engine: PrivacyEngine, step: Int64) -> (row: [Double], sigma2: Double) {
        let horizon = Int(engine.configuration.horizon)
        let coefficients: [Double]
        let sigma2: Double
        switch engine.plan {
        case .sqrt(let p):
            coefficients = p.coefficients
            sigma2 = p.sampler.variance * 0x1p-80
        case .blt(let p):
            let theta = p.theta.map { Double($0) * 0x1p-62 }
            let omega = p.omega.map { Double($0) * 0x1p-62 }
            // r = coefficients of 1 / c(x), c(x) = 1 + Σᵢ ωᵢ x / (1 − θᵢ x):
            // r_t = [t = 0] − Σᵢ ωᵢ Σ_{j<t} θᵢ^{t−1−j} r_j.
            var r: [Double] = []
            var buffers = Array(repeating: 0.0, count: theta.count)  // Σ_{j<t} θᵢ^{t−1−j} r_j
            for t in 0..<horizon {
                var value = t == 0 ? 1.0 : 0.0
                for i in theta.indices { value -= omega[i] * buffers[i] }
                for i in theta.indices { buffers[i] = theta[i] * buffers[i] + value }
                r.append(value)
            }
            var partial = 0.0
            coefficients = r.map {
                partial += $0
                return partial
            }
            sigma2 = p.sampler.variance * 0x1p-80
        case .tree:
            preconditionFailure()
        }
        var row = Array(repeating: 0.0, count: (Int(step) / horizon + 1) * horizon)
        guard step >= 0 else { return (row, sigma2) }
        let epoch = Int(step) / horizon
        for e in 0...epoch {
            let last = e == epoch ? Int(step) % horizon : horizon - 1
            for j in 0...last { row[e * horizon + j] += coefficients[last - j] }
        }
        return (row, sigma2)
    }

    static func bruteForce(_ engine: PrivacyEngine, from a: Int64, to b: Int64) -> Double {
        let (later, sigma2) = prefixRow(engine, step: b)
        let earlier = prefixRow(engine, step: a).row
        var total = 0.0
        for (index, value) in later.enumerated() {
            let d = value - (index < earlier.count ? earlier[index] : 0)
            total += d * d
        }
        return sigma2 * total
    }

    static let pairs: [(Int64, Int64)] = [
        (-1, 0), (-1, 20), (0, 1), (40, 52), (40, 63), (63, 64), (55, 70), (10, 140), (100, 124), (127, 128),
    ]

    @Test(arguments: [PrivacyConfiguration.Mechanism.blt, .sqrt])
    func matchesTheExplicitNoiseMatrix(mechanism: PrivacyConfiguration.Mechanism) throws {
        let engine = try Self.engine(mechanism, horizon: 64)
        for (a, b) in Self.pairs {
            let exact = try #require(engine.differenceVariance(from: a, to: b))
            let brute = Self.bruteForce(engine, from: a, to: b)
            #expect(abs(exact / brute - 1) < 1e-9, "\(mechanism) \(a)→\(b): \(exact) vs \(brute)")
        }
        // Late in a longer epoch, where the prefixes' own variances are far larger than their difference's.
        let long = try Self.engine(mechanism, horizon: 1024)
        for (a, b) in [(Int64(700), Int64(701)), (700, 712), (700, 724), (1000, 1023)] {
            let exact = try #require(long.differenceVariance(from: a, to: b))
            let brute = Self.bruteForce(long, from: a, to: b)
            #expect(abs(exact / brute - 1) < 1e-9, "\(mechanism) \(a)→\(b): \(exact) vs \(brute)")
        }
        // One step's run is the step's own count.
        for step: Int64 in [1, 30, 700] {
            let one = try #require(long.differenceVariance(from: step - 1, to: step))
            #expect(abs(one / long.differenceVariance(positionInEpoch: step)! - 1) < 1e-9)
        }
    }

    /// The variance the counters' noise really has: 2,000 independent series with no data, the difference of
    /// their prefixes at `a` and `b`, within 4.5 standard errors of a variance estimate (√(2/2000) ≈ 3.2 %).
    /// The bound `(σ_a + σ_b)²` the tree mechanisms fall back to is several times larger for these runs.
    @Test(arguments: [PrivacyConfiguration.Mechanism.blt, .sqrt])
    func matchesTheEmpiricalVarianceOfTheCounters(mechanism: PrivacyConfiguration.Mechanism) throws {
        let engine = try Self.engine(mechanism, horizon: 64)
        let runs = 2000
        for (a, b) in [(Int64(40), Int64(52)), (55, 70), (100, 124)] {
            var squares = 0.0
            var bound = 0.0
            for run in 0..<runs {
                var counter = engine.makeCounter(series: "run-\(run)")
                let earlier = try counter.release(step: a)
                let later = try counter.release(step: b)
                squares += pow(later.value - earlier.value, 2)
                bound = pow(earlier.standardDeviation + later.standardDeviation, 2)
            }
            let empirical = squares / Double(runs)
            let exact = try #require(engine.differenceVariance(from: a, to: b))
            let z = (empirical / exact - 1) / (2.0 / Double(runs)).squareRoot()
            #expect(abs(z) < 4.5, "\(mechanism) \(a)→\(b): empirical \(empirical) vs exact \(exact), z = \(z)")
            #expect(exact * 2 < bound, "\(mechanism) \(a)→\(b): exact \(exact), bound \(bound)")
        }
    }

    @Test func treeMechanismsHaveNoExactFigure() throws {
        #expect(try Self.engine(.tree, horizon: 64).differenceVariance(from: 3, to: 9) == nil)
        #expect(try Self.engine(.honaker, horizon: 64).differenceVariance(from: 3, to: 9) == nil)
    }
}
