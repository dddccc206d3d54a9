import Foundation

/// ρ-zCDP accounting: composition across the series one privacy unit touches, and conversion
/// to (ε, δ)-differential privacy.
public enum Accountant {
    /// zCDP composes additively: ρ of touching several series is the sum of their ρ.
    public static func compose(_ rhos: [Double]) -> Double { rhos.reduce(0, +) }

    /// The same sum computed on the decimals the values print as, rounded once: parts stated as
    /// 1.14 and 0.19 compose to 1.33, not 1.3299999999999998 (plain addition when a value has no
    /// short decimal form).
    public static func composeDecimals(_ rhos: [Double]) -> Double {
        var total = Rational(0, 1)
        for rho in rhos {
            guard rho >= 0, let exact = Rational(decimal: "\(rho)"), exact.denominator <= UInt128(1) << 60 else {
                return compose(rhos)
            }
            total = total + exact
        }
        return total.doubleValue
    }

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
        rho = Self.composedRho(configuration, epochs: 1)
        delta = configuration.delta
        epsilon = Accountant.epsilon(rho: rho, delta: configuration.delta)
        unit = configuration.unit
    }

    /// ρ of one privacy unit over `epochs` epochs, computed on the exact rational ρ and rounded
    /// once, so 0.1 × 6 is the double nearest 0.6 (`0.6`), not `0.6000000000000001`.
    static func composedRho(_ configuration: PrivacyConfiguration, epochs: Int64) -> Double {
        let (numerator, denominator): (Int64, Int64)
        switch configuration.unit {
        case .event:
            // One event updates `seriesPerEvent` series by one each, in exactly one epoch.
            (numerator, denominator) = (configuration.seriesPerEvent, 1)
        case .user:
            // A user adds k_s ≤ perSeries to each series and Σ k_s ≤ perUser, so the composed
            // ρ is ρ·Σ (k_s/perSeries)² ≤ ρ·perUser/perSeries per epoch; epochs compose.
            (numerator, denominator) = (configuration.caps.perUser * epochs, configuration.caps.perSeries)
        }
        guard let exact = configuration.exactRho, numerator > 0, denominator > 0 else {
            return configuration.rho * Double(numerator) / Double(denominator)
        }
        let product = Rational(exact.numerator * UInt128(numerator), exact.denominator * UInt128(denominator))
        return product.doubleValue
    }

    /// The budget spent once releases have run into `epochs` epochs: an event is counted in one
    /// epoch only (parallel composition), so event-level ρ stays `rho`; a user may be counted in
    /// every epoch, so user-level ρ grows by `rho` per epoch.
    public func spent(_ configuration: PrivacyConfiguration, epochs: Int64) -> (rho: Double, epsilon: Double) {
        guard unit == .user, epochs > 1 else { return (rho, epsilon) }
        let total = Self.composedRho(configuration, epochs: epochs)
        return (total, Accountant.epsilon(rho: total, delta: delta))
    }
}

/// What every private aggregate states about its guarantee, as fields a dashboard reads.
public struct PrivacyStatement: Sendable, Equatable {
    /// tree, honaker, sqrt or blt.
    public var mechanism: String
    /// ρ-zCDP of one privacy unit per epoch, and the equivalent (ε, δ).
    public var rho: Double
    public var epsilon: Double
    public var delta: Double
    public var unit: PrivacyConfiguration.Unit
    /// The cumulative budget of the topology so far (see `PrivacyGuarantee.spent`), and its ε.
    public var rhoSpent: Double
    public var epsilonSpent: Double
    /// The δ partition selection adds (nil without selection): a person's guarantee is then
    /// (ε, delta + selectionDelta).
    public var selectionDelta: Double?

    public init(engine: PrivacyEngine, epochs: Int64) {
        let guarantee = engine.guarantee
        mechanism = engine.configuration.mechanism.rawValue
        rho = guarantee.rho
        epsilon = guarantee.epsilon
        delta = guarantee.delta
        unit = guarantee.unit
        (rhoSpent, epsilonSpent) = guarantee.spent(engine.configuration, epochs: epochs)
    }
}
