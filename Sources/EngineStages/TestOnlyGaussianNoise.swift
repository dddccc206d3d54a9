import Fairness
import Foundation

/// TEST-ONLY Gaussian noise of known variance, standing in for the privacy layer in benchmarks and tests.
///
/// It is seeded and reproducible, and it gives no privacy guarantee: production counts come from the privacy
/// layer's continual-release counters (keyed CSPRNG). The default scale is that of a Gaussian mechanism with
/// sensitivity 1 at ρ-zCDP, `σ = 1 / √(2ρ)` (σ = 1 at ρ = 0.5).
public struct TestOnlyGaussianNoise: Sendable, Codable {
    public let sigma: Double
    private var state: UInt64

    public init(sigma: Double, seed: UInt64) {
        self.sigma = sigma
        state = seed
    }

    /// The σ of a sensitivity-1 Gaussian mechanism at `rho`-zCDP.
    public static func sigma(rho: Double) -> Double { 1 / (2 * rho).squareRoot() }

    /// SplitMix64.
    public mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func nextUniform() -> Double { Double(nextUInt64() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller).
    public mutating func nextGaussian() -> Double {
        let u = max(nextUniform(), .leastNonzeroMagnitude)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * nextUniform())
    }

    /// Releases `count` with N(0, σ²) noise, reporting σ² as its noise variance.
    public mutating func release(_ count: Double) -> NoisyCount {
        NoisyCount(value: count + sigma * nextGaussian(), noiseVariance: sigma * sigma)
    }

    /// Releases every count of a closed window.
    public mutating func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]] {
        var released: [String: [String: NoisyGroupCounts]] = [:]
        for attribute in window.tallies.keys.sorted() {
            for group in window.tallies[attribute]!.keys.sorted() {
                let tally = window.tallies[attribute]![group]!
                var counts = NoisyGroupCounts(repeating: .exact(0))
                for field in CountField.allCases { counts[field] = release(tally[field]) }
                released[attribute, default: [:]][group] = counts
            }
        }
        return released
    }
}

/// TEST-ONLY Gaussian noise on every count, in place of the privacy layer (no privacy guarantee).
public struct TestNoiseRelease: FairnessStage.Release {
    public var firstReleasedEventTime: Int64? { nil }
    public func snapshot() throws -> [UInt8] { Array(try JSONEncoder().encode(noise)) }
    public mutating func restore(_ snapshot: [UInt8]) throws {
        noise = try JSONDecoder().decode(TestOnlyGaussianNoise.self, from: Data(snapshot))
    }
    public var noise: TestOnlyGaussianNoise
    public var note: String? { "test-only gaussian sigma=\(noise.sigma)" }

    public init(noise: TestOnlyGaussianNoise) {
        self.noise = noise
    }

    public mutating func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]] {
        noise.release(window)
    }
}
