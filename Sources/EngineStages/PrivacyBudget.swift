import Fairness
import Foundation
import Pipeline
import Privacy

extension PrivacyEngine {
    /// The noise variance of one window's count at this position of the epoch: exact where the
    /// mechanism has it (BLT, sqrt), else the bound (σ_start + σ_end)² from the prefix's theoretical
    /// error, as `PrivateRelease` states it.
    func windowCountVariance(positionInEpoch position: Int64) -> Double {
        if let exact = differenceVariance(positionInEpoch: position) { return exact }
        let deviation = theoreticalRMSE(afterSteps: position + 1)
        return (2 * deviation) * (2 * deviation)
    }
}

extension Topology {
    /// The parts of one privacy unit's budget per epoch: the fairness counts' ρ (private mode) and
    /// each aggregate's, by name.
    func budgetParts(_ privacy: PrivacyConfiguration) throws -> [(name: String, rho: Double)] {
        var parts: [(name: String, rho: Double)] = []
        if let section = sections.first(where: { $0.key == "fairness" }), try Self.fairnessConfig(section).mode == .private {
            parts.append(("fairness", PrivacyGuarantee(configuration: privacy).rho))
        }
        if let section = sections.first(where: { $0.key == "aggregates" }) {
            for spec in try Self.decode([AggregateSpec].self, section) {
                let configuration = PrivateAggregate.countConfiguration(spec, privacy: privacy)
                parts.append((spec.name, PrivacyGuarantee(configuration: configuration).rho))
            }
        }
        return parts
    }

    /// Checks `privacy.max_rho_per_person`, when declared, against the parts' sum.
    static func checkBudget(_ parts: [(name: String, rho: Double)], privacy: PrivacyConfiguration) throws {
        guard let limit = privacy.maxRhoPerPerson else { return }
        let total = Accountant.composeDecimals(parts.map(\.rho))
        guard total <= limit * (1 + 1e-12) else {
            let breakdown = parts.map { "\($0.name) \($0.rho)" }.joined(separator: " + ")
            throw EngineConfigurationError(
                "the budget per person is \(breakdown) = \(total), over privacy.max_rho_per_person \(limit): "
                    + "lower an aggregate's rho or privacy.rho, or raise the limit")
        }
    }

    /// What one person is protected by, for `steward validate --describe`: the fairness counts'
    /// and each aggregate's per-person ρ per epoch, their partition selection, and the composed
    /// total (zCDP adds ρ; the selection δs add to the conversion's δ). Nil without a privacy section.
    public func privacyBudget() -> [String]? {
        guard let privacySection = sections.first(where: { $0.key == "privacy" }),
            let privacy = try? Self.privacyConfiguration(privacySection), (try? privacy.validate()) != nil,
            let seconds = privacy.releaseIntervalSeconds
        else { return nil }
        var lines: [String] = []
        var rhos: [Double] = []
        var delta = privacy.delta
        var parts: [String] = []
        if let section = sections.first(where: { $0.key == "fairness" }),
            let config = try? Self.fairnessConfig(section),
            config.mode == .private
        {
            let guarantee = PrivacyGuarantee(configuration: privacy)
            rhos.append(guarantee.rho)
            delta += privacy.selectionDelta
            parts.append("fairness")
            let public_ = config.publicGroups.values.reduce(0) { $0 + $1.count }
            lines.append(
                "  privacy     fairness: rho \(Self.short(guarantee.rho)) per person per epoch "
                    + "(\(privacy.seriesPerEvent) count families at rho \(Self.short(privacy.rho))); "
                    + "\(public_) public groups, others only above the selection threshold")
        }
        if let section = sections.first(where: { $0.key == "aggregates" }),
            let specs = try? Self.decode([AggregateSpec].self, section)
        {
            let origin = (try? Self.privacyOrigin(privacy)) ?? 0
            for spec in specs {
                guard
                    let aggregate = try? PrivateAggregate(
                        spec: spec, topologyName: name, privacy: privacy, key: .evaluationOnly(seed: 0), origin: origin)
                else { continue }
                rhos.append(aggregate.guarantee.rho)
                delta += aggregate.selection.delta
                parts.append(spec.name)
                // The threshold is largest where a window's count is noisiest in the epoch.
                let engine = aggregate.counts.engine
                var variance = 0.0
                for position in 0..<engine.configuration.horizon {
                    variance = max(variance, engine.windowCountVariance(positionInEpoch: position))
                }
                let what =
                    switch spec.statistic {
                    case .count: "count"
                    case .sum(let field, let low, let high):
                        "sum of \(field) clamped to [\(Self.short(low)), \(Self.short(high))]"
                    case .mean(let field, let low, let high):
                        "mean of \(field) clamped to [\(Self.short(low)), \(Self.short(high))]"
                    }
                let filter = spec.filter.map { " where \($0)" } ?? ""
                let selection =
                    variance.isFinite
                    ? "a group outside its \(spec.publicGroups.count) public ones appears above a noisy count of "
                        + "\(Self.short(aggregate.selection.threshold(noiseVariance: variance))) (with probability "
                        + "≥ 0.99 from \(aggregate.selection.minimumUsers(noiseVariance: variance)) people)"
                    : "groups outside the public ones are selected above a noisy-count threshold"
                let groups = spec.groupBy.joined(separator: ", ")
                lines.append(
                    "  privacy     aggregate \(spec.name): \(what) per \(groups)\(filter); "
                        + "rho \(Self.short(aggregate.guarantee.rho)) per person per epoch; \(selection)")
            }
        }
        guard !parts.isEmpty else { return nil }
        let rho = Accountant.composeDecimals(rhos)
        let days = Double(privacy.horizon) * seconds / 86_400
        let person = privacy.unit == .user ? "person (\(privacy.userField ?? "user"))" : "event"
        lines.append(
            "  privacy     per \(person) per epoch of \(privacy.horizon) releases (\(Self.short(days)) days), "
                + "\(parts.joined(separator: " + ")): rho \(rho), epsilon "
                + "\(Self.short(Accountant.epsilon(rho: rho, delta: privacy.delta))), delta \(Self.short(delta))")
        return lines
    }
}
