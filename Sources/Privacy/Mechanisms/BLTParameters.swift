/// The buffer decays θᵢ ∈ (0, 1) and output weights ωᵢ of a BLT strategy
/// c(x) = 1 + Σᵢ ωᵢ x / (1 − θᵢ x).
public struct BLTParameters: Sendable, Equatable, Codable {
    public let theta: [Double]
    public let omega: [Double]

    public init(theta: [Double], omega: [Double]) {
        precondition(theta.count == omega.count && theta.allSatisfy { $0 > 0 && $0 < 1 })
        self.theta = theta
        self.omega = omega
    }

    /// The fitted strategy for the smallest tabulated horizon at least `horizon` (a BLT fitted for a
    /// longer horizon stays close to optimal on shorter ones; see Docs/privacy.md).
    public static func fitted(forHorizon horizon: Int64) throws(PrivacyError) -> BLTParameters {
        guard let row = fitted.first(where: { Int64(1) << $0.log2Horizon >= horizon }) else {
            throw PrivacyError(
                .configuration,
                "BLT strategies are fitted up to 2^\(fitted.last!.log2Horizon) steps; use a shorter horizon "
                    + "(streams that outlive it continue in new epochs)")
        }
        return BLTParameters(theta: row.theta, omega: row.omega)
    }

    /// Log2 of the longest fitted horizon.
    public static var maximumLog2Horizon: Int { fitted.last!.log2Horizon }
}
