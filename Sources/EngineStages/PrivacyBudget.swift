import Fairness
import Foundation
import Pipeline
import Privacy

extension Topology {
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
                    variance = max(variance, engine.differenceVariance(positionInEpoch: position) ?? .nan)
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
