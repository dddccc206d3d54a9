import Foundation

/// ρ-zCDP accounting: composition across the series one privacy unit touches, and conversion
/// to (ε, δ)-differential privacy.
public enum Accountant {
    /// zCDP composes additively: ρ of touching several series is the sum of their ρ.
    public static func compose(_ rhos: [Double]) -> Double { rhos.reduce(0, +) }

    /// The smallest ε such that ρ-zCDP implies (ε, δ)-DP by the conversion of Canonne, Kamath and
    /// Steinke (2020, Proposition 12; also Asoodeh et al. 2021), optimised over the Rényi order α:
    /// ε = min_{α>1} αρ + log((α−1)/α) − (log δ + log α)/(α−1).
    public static func epsilon(rho: Double, delta: Double) -> Double {
        precondition(rho >= 0 && delta > 0 && delta < 1)
        if rho == 0 { return 0 }
        func eps(_ alpha: Double) -> Double {
            alpha * rho + log1p(-1 / alpha) - (log(delta) + log(alpha)) / (alpha - 1)
        }
        // The objective is unimodal in log(α − 1); golden-section search on a wide bracket.
        var lo = log(1e-9)
        var hi = log(1e9)
        let golden = (5.0.squareRoot() - 1) / 2
        var a = hi - golden * (hi - lo)
        var b = lo + golden * (hi - lo)
        var fa = eps(1 + exp(a))
        var fb = eps(1 + exp(b))
        for _ in 0..<200 {
            if fa < fb {
                hi = b
                b = a
                fb = fa
                a = hi - golden * (hi - lo)
                fa = eps(1 + exp(a))
            } else {
                lo = a
                a = b
                fa = fb
                b = lo + golden * (hi - lo)
                fb = eps(1 + exp(b))
            }
        }
        return max(0, min(fa, fb))
    }

    /// δ for a given ε under ρ-zCDP (the same conversion, optimised for δ).
    public static func delta(rho: Double, epsilon: Double) -> Double {
        var best = 1.0
        var alpha = 1.0001
        while alpha < 1e6 {
            let logDelta = (alpha - 1) * (alpha * rho - epsilon) + alpha * log1p(-1 / alpha) - log(alpha - 1)
            best = min(best, exp(logDelta))
            alpha *= 1.001
        }
        return best
    }
}

/// The guarantee of one configuration, as published with every aggregate.
public struct PrivacyGuarantee: Sendable, Codable, Equatable {
    /// ρ of one series per epoch.
    public let seriesRho: Double
    /// ρ of one privacy unit per epoch, composed across every series it can touch.
    public let rho: Double
    public let epsilon: Double
    public let delta: Double
    public let unit: PrivacyConfiguration.Unit

    public init(configuration: PrivacyConfiguration) {
        seriesRho = configuration.rho
        switch configuration.unit {
        case .event:
            // One event updates `seriesPerEvent` series by one each.
            rho = configuration.rho * Double(configuration.seriesPerEvent)
        case .user:
            // A user adds k_s ≤ perSeries to each series and Σ k_s ≤ perUser, so the composed
            // ρ is ρ·Σ (k_s/perSeries)² ≤ ρ·perUser/perSeries.
            rho = configuration.rho * Double(configuration.caps.perUser) / Double(configuration.caps.perSeries)
        }
        delta = configuration.delta
        epsilon = Accountant.epsilon(rho: rho, delta: configuration.delta)
        unit = configuration.unit
    }
}
