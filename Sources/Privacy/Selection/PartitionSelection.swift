import Foundation

/// Differentially private partition selection by thresholding a user-bounded noisy count: a group
/// that is not declared public is released in a window only when its noisy count of records
/// exceeds a threshold τ, so the set of groups seen no longer reveals who is in the data.
///
/// Each person adds at most `maxContribution` (K) records to a group's window count and reaches at
/// most `maxPartitions` (L₀ = K·M per epoch) (window, group) pairs. The count's noise is Gaussian
/// (a linear map of discrete Gaussians), which is σ²-subgaussian for its variance bound σ², so a
/// pair that exists only because of one person (true count ≤ K) is released with probability at
/// most exp(−(τ − K)² / 2σ²). With τ = K + σ·√(2 ln(L₀ / δ)) the union over that person's L₀
/// pairs is at most δ: adding or removing one person changes the released set of groups only
/// with probability δ, which adds δ to the (ε, δ) of the counts. The counts themselves are the
/// already-accounted continual-counter releases, so selection costs no ρ (post-processing).
/// Every draw is the counter's own deterministic noise, so a replay selects the same groups.
public struct PartitionSelection: Sendable, Equatable {
    /// The δ selection adds per person per epoch.
    public let delta: Double
    /// K: records of one person per group per window.
    public let maxContribution: Int64
    /// L₀: (window, group) pairs one person reaches per epoch.
    public let maxPartitions: Int64
    /// √(2 ln(L₀ / δ)): the threshold's distance above K in noise standard deviations.
    public let zScore: Double

    public init(delta: Double, maxContribution: Int64, maxPartitions: Int64) {
        precondition(delta > 0 && delta < 1 && maxContribution >= 1 && maxPartitions >= 1)
        self.delta = delta
        self.maxContribution = maxContribution
        self.maxPartitions = maxPartitions
        zScore = (2 * log(Double(maxPartitions) / delta)).squareRoot()
    }

    /// τ for a window count whose noise variance is at most `noiseVariance`.
    public func threshold(noiseVariance: Double) -> Double {
        Double(maxContribution) + zScore * noiseVariance.squareRoot()
    }

    /// Whether a non-public group with this noisy window count is released.
    public func selects(count: Double, noiseVariance: Double) -> Bool {
        count.isFinite && noiseVariance.isFinite && count > threshold(noiseVariance: noiseVariance)
    }

    /// The fewest distinct people (each with at least one counted record in the window) at which a
    /// group is released with probability at least `probability`: τ + σ·√(2 ln(1 / (1 − p))), by the
    /// same subgaussian tail on the other side.
    public func minimumUsers(noiseVariance: Double, probability: Double = 0.99) -> Int64 {
        precondition(probability > 0 && probability < 1)
        let margin = (2 * log(1 / (1 - probability))).squareRoot() * noiseVariance.squareRoot()
        return Int64((threshold(noiseVariance: noiseVariance) + margin).rounded(.up))
    }
}
