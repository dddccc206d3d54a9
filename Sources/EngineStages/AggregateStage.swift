import Fairness
import Foundation
import Pipeline
import Privacy

/// The `aggregates:` section as one stream stage: each entry a private group-by count, sum or mean
/// over tumbling event-time windows, published on `<name>.aggregates` as
/// `dev.steward.aggregate.window.v1`.
///
/// Per aggregate and group, the count (and for sums and means the clamped sum) goes through the
/// same continual counters as the fairness stage's counts, stepped by the window's index from the
/// privacy origin; with `privacy.unit: user` each person's records are bounded first (K per window,
/// M windows per epoch). Public groups are released in every window; other groups only when their
/// noisy count passes `PartitionSelection`'s threshold.
public struct AggregateStage: StreamStage {
    public let name = "aggregates"
    public private(set) var aggregates: [PrivateAggregate]

    public init(aggregates: [PrivateAggregate]) { self.aggregates = aggregates }

    public mutating func observe(_ record: JSONValue, context: RecordContext) -> [Emission] {
        var emissions: [Emission] = []
        for index in aggregates.indices {
            if let rejection = aggregates[index].observe(record, eventTime: context.eventTime) {
                emissions.append(deadLetter(context, aggregate: aggregates[index].spec.name, rejection))
            }
        }
        return emissions
    }

    public mutating func advance(streamTime: Int64?) -> [Emission] {
        guard let streamTime else { return [] }
        var emissions: [Emission] = []
        for index in aggregates.indices { emissions += aggregates[index].advance(streamTime: streamTime) }
        return emissions
    }

    /// `{"aggregates":[…]}`, one state per aggregate in the section's order.
    public func snapshot() throws -> [UInt8] {
        JSONWriter.encode(.object([("aggregates", .array(try aggregates.map { try $0.snapshot() }))]))
    }

    public mutating func restore(_ snapshot: [UInt8]) throws {
        guard case .array(let states)? = try JSONParser.parse(snapshot)["aggregates"], states.count == aggregates.count
        else {
            throw StateError(
                "the aggregates state has another number of aggregates than this topology; a changed configuration "
                    + "starts from empty state under a new topology name or group")
        }
        var restored = aggregates
        for index in restored.indices { try restored[index].restore(states[index]) }
        aggregates = restored
    }

    /// One entry per person whose bounding state changed in an aggregate:
    /// `<aggregate>/bounding/<fingerprint>`.
    public mutating func takeChangedEntries() -> [StateEntry] {
        var entries: [StateEntry] = []
        for index in aggregates.indices where aggregates[index].bounding != nil {
            let prefix = aggregates[index].spec.name
            entries += aggregates[index].bounding!.bounder.takeChanges().map { change in
                StateEntry(key: "\(prefix)/bounding/\(change.user.hex)", value: change.state.map(FairnessStage.encode))
            }
        }
        return entries
    }

    public mutating func restore(entries: [String: [UInt8]]) throws {
        for (key, value) in entries {
            let parts = key.split(separator: "/", maxSplits: 2)
            guard parts.count == 3, parts[1] == "bounding", let user = UserFingerprint(hex: parts[2]),
                let index = aggregates.firstIndex(where: { $0.spec.name == parts[0] }),
                aggregates[index].bounding != nil
            else { throw StateError("unknown aggregates state entry '\(key)'") }
            aggregates[index].bounding!.bounder.restore(user, try FairnessStage.decode(value))
        }
    }

    func deadLetter(_ context: RecordContext, aggregate: String, _ rejection: Rejection) -> Emission {
        FairnessStage.deadLetter(
            context, stage: "aggregates", id: "\(context.position)/aggregates/\(aggregate)", reason: rejection.reason,
            detail: "aggregate '\(aggregate)': \(rejection.detail)")
    }
}

/// A released aggregate window as a typed value for in-process consumers (metrics): the
/// aggregate's part of a person's budget, and its records over the caps (exact: never published).
public struct AggregateNotice: Sendable {
    public var aggregate: String
    public var privacy: PrivacyStatement
    public var overContributionCap: Int64
}

/// One private aggregate: its open windows' exact tallies, its continual counters, and its
/// per-person bounding state.
public struct PrivateAggregate: Sendable {
    public let spec: AggregateSpec
    /// `group_by`'s paths and the summed field's, split once.
    let groupPaths: [FieldPath]
    let statisticPath: FieldPath?
    let topologyName: String
    let windowSize: Int64
    let outOfOrderness: Int64
    /// The window index of the privacy origin: step 0 of every series.
    let originIndex: Int64
    /// The counts' counters, calibrated for K·M per person per family.
    var counts: PrivateRelease
    /// The clamped sums' counters (sums and means), in units of `sumUnit`.
    var sums: PrivateRelease?
    /// A sum's unit: max(|low|, |high|) / `resolution`, so one record adds at most `resolution`
    /// units (its clamped value rounded to the nearest unit).
    let sumUnit: Double
    /// Units per clamp bound: `sumResolution` per person-window budget, so K·M·R stays where the
    /// counters' fixed-point noise sampler reaches.
    public let resolution: Int64
    public internal(set) var bounding: UserBounding?
    public let selection: PartitionSelection
    /// The encoded keys of the public groups, in declared order.
    let publicKeys: [String]
    let publicKeySet: Set<String>
    /// Exact tallies of the windows not yet released: window index → group key → (records, sum units).
    var open: [Int64: [String: Tally]] = [:]
    /// The first window not yet released (nil until the first release).
    var nextWindow: Int64?
    /// The last window the watermark has closed: records of it or earlier windows are late.
    var closedThrough: Int64?
    /// Records left out of the counts because their person had reached the caps.
    public private(set) var overContributionCap: Int64 = 0
    /// The guarantee one person has from this aggregate per epoch.
    let guarantee: PrivacyGuarantee
    let countConfiguration: PrivacyConfiguration

    /// Units of a sum one person may add per epoch in all (K·M·R): one record adds at most R =
    /// ⌊`sumUnitsPerPerson` / (K·M)⌋ units, at least 1.
    static let sumUnitsPerPerson: Int64 = 256
    /// At most this many empty windows are published in a row; after a longer gap in event time the
    /// stage jumps to the next window that holds records.
    static let maxEmptyRun: Int64 = 10_000

    struct Tally: Sendable, Equatable {
        var records: Int64 = 0
        var sumUnits: Int64 = 0
    }

    /// The series families one person's records update: the count, and the sum for sums and means.
    public var families: Int64 { spec.statistic.field == nil ? 1 : 2 }

    public init(
        spec: AggregateSpec, topologyName: String, privacy: PrivacyConfiguration, key: NoiseKey, origin: Int64
    ) throws {
        self.spec = spec
        groupPaths = spec.groupBy.map(FieldPath.init)
        statisticPath = spec.statistic.field.map { FieldPath($0.path) }
        self.topologyName = topologyName
        let size = spec.window?.size.milliseconds ?? Int64((privacy.releaseIntervalSeconds ?? 60) * 1000)
        windowSize = size
        outOfOrderness = spec.watermark.maxOutOfOrderness.milliseconds
        originIndex = origin >= 0 ? origin / size : -((-origin + size - 1) / size)
        let k = privacy.unit == .user ? (privacy.maxContributionsPerWindow ?? 1) : 1
        let m = privacy.unit == .user ? (privacy.maxWindowsPerUser ?? 1) : 1
        let countConfiguration = Self.countConfiguration(spec, privacy: privacy)
        self.countConfiguration = countConfiguration
        let countEngine = try PrivacyEngine(configuration: countConfiguration, key: key)
        guarantee = countEngine.guarantee
        let prefix = "\(topologyName)|aggregate=\(spec.name)"
        counts = PrivateRelease(
            engine: countEngine, topologyName: "\(prefix)|count", windowSize: size, windowStep: size, origin: origin)
        resolution = max(1, Self.sumUnitsPerPerson / (k * m))
        if let field = spec.statistic.field {
            // A record adds round(clamped value / unit) ∈ [−R, R] units: the sum's counters are
            // calibrated for K·M·R per person, the count's for K·M.
            sumUnit = max(abs(field.low), abs(field.high)) / Double(resolution)
            var sumConfiguration = privacy
            sumConfiguration.rho = spec.rho
            sumConfiguration.seriesPerEvent = 1
            sumConfiguration.unit = .user
            sumConfiguration.userField = privacy.userField ?? "record"
            sumConfiguration.maxContributionsPerWindow = nil
            sumConfiguration.maxWindowsPerUser = nil
            let r = resolution
            sumConfiguration.caps = PrivacyConfiguration.Caps(
                perWindow: k * r, perSeries: k * m * r, perUser: k * m * r)
            sums = PrivateRelease(
                engine: try PrivacyEngine(configuration: sumConfiguration, key: key), topologyName: "\(prefix)|sum",
                windowSize: size, windowStep: size, origin: origin)
        } else {
            sumUnit = 1
        }
        if privacy.unit == .user {
            bounding = try UserBounding(configuration: privacy, key: key, originIndex: originIndex)
        }
        selection = PartitionSelection(delta: privacy.selectionDelta, maxContribution: k, maxPartitions: k * m)
        publicKeys = spec.publicGroups.map(Self.key)
        publicKeySet = Set(publicKeys)
    }

    /// The configuration of an aggregate's count counters, whose guarantee is the aggregate's per
    /// person: its ρ per series, over its families (the count, and the sum for sums and means), each
    /// calibrated for K·M per person per epoch (1 per event with the event unit).
    static func countConfiguration(_ spec: AggregateSpec, privacy: PrivacyConfiguration) -> PrivacyConfiguration {
        let k = privacy.unit == .user ? (privacy.maxContributionsPerWindow ?? 1) : 1
        let m = privacy.unit == .user ? (privacy.maxWindowsPerUser ?? 1) : 1
        let families: Int64 = spec.statistic.field == nil ? 1 : 2
        var configuration = privacy
        configuration.rho = spec.rho
        configuration.seriesPerEvent = families
        if privacy.unit == .user {
            configuration.caps = PrivacyConfiguration.Caps(perWindow: k, perSeries: k * m, perUser: k * m * families)
        }
        return configuration
    }

    /// A group's key: its values as a JSON array of strings.
    static func key(_ values: [String]) -> String {
        String(decoding: JSONWriter.encode(.array(values.map { .string($0) })), as: UTF8.self)
    }

    /// Counts one record (if it passes the filter), or says why it cannot be counted.
    mutating func observe(_ record: JSONValue, eventTime: Int64?) -> Rejection? {
        if let filter = spec.filter, !filter.matches(record) { return nil }
        guard let eventTime else { return Rejection(.missingField, "no event time: an aggregate needs one") }
        let window = floorDivide(eventTime, windowSize)
        if window < originIndex {
            return Rejection(
                .beforePrivacyOrigin, "event time is before the privacy origin's first window (privacy.origin)")
        }
        if let closedThrough, window <= closedThrough {
            return Rejection(.lateEvent, "the watermark had closed its window")
        }
        var values: [String] = []
        values.reserveCapacity(spec.groupBy.count)
        for path in groupPaths {
            guard let value = FairnessStage.text(path.value(in: record)) else {
                return Rejection(.missingField, "no '\(path)' (group_by)")
            }
            values.append(value)
        }
        var units: Int64 = 0
        if let field = spec.statistic.field, let statisticPath {
            guard let value = statisticPath.value(in: record)?.doubleValue, value.isFinite else {
                return Rejection(.wrongType, "'\(field.path)' is not a number")
            }
            units = Int64((min(max(value, field.low), field.high) / sumUnit).rounded())
        }
        if bounding != nil {
            guard let user = bounding!.user(of: record) else {
                return Rejection(.missingField, "no user id ('\(bounding!.userField)'): the privacy unit is the user")
            }
            guard bounding!.admit(user, windows: window...window) else {
                overContributionCap += 1
                return nil
            }
        }
        let key = Self.key(values)
        open[window, default: [:]][key, default: Tally()].records += 1
        open[window]![key]!.sumUnits += units
        return nil
    }

    /// Releases every window the watermark (stream time minus the allowed out-of-orderness) has passed.
    mutating func advance(streamTime: Int64) -> [Emission] {
        let lastClosed = floorDivide(streamTime - outOfOrderness, windowSize) - 1
        closedThrough = max(closedThrough ?? lastClosed, lastClosed)
        // Until the first release, from the earliest window that holds records.
        guard var next = nextWindow ?? open.keys.min(), next <= lastClosed else { return [] }
        var emissions: [Emission] = []
        var empty: Int64 = 0
        while next <= lastClosed {
            if open[next] == nil {
                empty += 1
                if empty > Self.maxEmptyRun {
                    next = open.keys.filter { $0 > next }.min() ?? (lastClosed + 1)
                    empty = 0
                    continue
                }
            } else {
                empty = 0
            }
            emissions.append(release(window: next))
            next += 1
        }
        nextWindow = next
        bounding?.close(windowsBefore: next)
        return emissions
    }

    /// Steps every series of the window and publishes the public groups and the selected others.
    mutating func release(window index: Int64) -> Emission {
        let tallies = open.removeValue(forKey: index) ?? [:]
        let step = index - originIndex
        var keys = publicKeys
        keys += tallies.keys.filter { !publicKeySet.contains($0) }.sorted()
        var groups: [JSONValue] = []
        var countVariance = Double.nan
        for key in keys {
            let tally = tallies[key] ?? Tally()
            let count = counts.release(series: "\(key)|count", increment: tally.records, step: step)
            let sum = sums?.release(series: "\(key)|sum", increment: tally.sumUnits, step: step)
            countVariance = count.noiseVariance
            let isPublic = publicKeySet.contains(key)
            guard isPublic || selection.selects(count: count.value, noiseVariance: count.noiseVariance) else {
                continue
            }
            groups.append(group(key: key, isPublic: isPublic, count: count, sum: sum))
        }
        if countVariance.isNaN {
            countVariance = counts.engine.windowCountVariance(positionInEpoch: step % counts.engine.configuration.horizon)
        }
        let data = JSONWriter.encode(message(index: index, step: step, groups: groups, countVariance: countVariance))
        let epochs = step / countConfiguration.horizon + 1
        let notice = AggregateNotice(
            aggregate: spec.name, privacy: PrivacyStatement(engine: counts.engine, epochs: epochs),
            overContributionCap: overContributionCap)
        return Emission(
            output: .aggregates, id: "\(topologyName)/aggregate/\(spec.name)/\(index)",
            type: "dev.steward.aggregate.window.v1", time: (index + 1) * windowSize,
            subject: "\(spec.name) window \(index)", data: data, notice: notice)
    }

    func group(key: String, isPublic: Bool, count: NoisyCount, sum: NoisyCount?) -> JSONValue {
        var values: [(key: String, value: JSONValue)] = []
        if case .array(let parts) = try? JSONParser.parse(Array(key.utf8)) {
            values = zip(spec.groupBy, parts).map { ($0, $1) }
        }
        var members: [(key: String, value: JSONValue)] = [("group", .object(values)), ("public", .bool(isPublic))]
        let countStderr = count.noiseVariance.squareRoot()
        switch spec.statistic {
        case .count:
            members += [("value", FairnessJSON.number(count.value)), ("stderr", FairnessJSON.number(countStderr))]
        case .sum:
            let sum = sum!
            members += [
                ("value", FairnessJSON.number(sum.value * sumUnit)),
                ("stderr", FairnessJSON.number(sum.noiseVariance.squareRoot() * sumUnit)),
            ]
        case .mean:
            // Delta method: Var(S/N) ≈ Var S / N² + S² Var N / N⁴; undefined below one record.
            let total = sum!.value * sumUnit
            let totalVariance = sum!.noiseVariance * sumUnit * sumUnit
            if count.value >= 1 {
                let n = count.value
                let mean = min(max(total / n, spec.statistic.field!.low), spec.statistic.field!.high)
                let variance = totalVariance / (n * n) + total * total * count.noiseVariance / (n * n * n * n)
                members += [
                    ("value", FairnessJSON.number(mean)), ("stderr", FairnessJSON.number(variance.squareRoot())),
                ]
            } else {
                members += [("value", .null), ("stderr", .null)]
            }
        }
        if spec.statistic.field != nil {
            members.append(
                (
                    "count",
                    .object([("value", FairnessJSON.number(count.value)), ("stderr", FairnessJSON.number(countStderr))])
                ))
        }
        return .object(members)
    }

    func message(index: Int64, step: Int64, groups: [JSONValue], countVariance: Double) -> JSONValue {
        let start = index * windowSize
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string("aggregate.window")), ("aggregate", .string(spec.name)),
            ("statistic", .string(spec.statistic.name)),
            ("group_by", .array(spec.groupBy.map { .string($0) })),
        ]
        if let field = spec.statistic.field {
            members.append(("field", .string(field.path)))
            members.append(("clamp", .array([FairnessJSON.number(field.low), FairnessJSON.number(field.high)])))
            // Values are summed in units of this size (the clamp's bound over the resolution).
            members.append(("unit", FairnessJSON.number(sumUnit)))
        }
        if let filter = spec.filter { members.append(("filter", .string(filter.description))) }
        members += [
            ("index", FairnessJSON.number(Double(index))),
            (
                "window",
                .object([
                    ("start", FairnessJSON.number(Double(start))),
                    ("end", FairnessJSON.number(Double(start + windowSize))),
                    ("start_time", .string(rfc3339(milliseconds: start))),
                    ("end_time", .string(rfc3339(milliseconds: start + windowSize))),
                ])
            ),
            ("groups", .array(groups)),
            ("privacy", privacy(epochs: step / countConfiguration.horizon + 1)),
            (
                "selection",
                .object([
                    ("threshold", FairnessJSON.number(selection.threshold(noiseVariance: countVariance))),
                    (
                        "min_users_p99",
                        FairnessJSON.number(Double(selection.minimumUsers(noiseVariance: countVariance)))
                    ),
                    ("public_groups", FairnessJSON.number(Double(publicKeys.count))),
                ])
            ),
        ]
        return .object(members)
    }

    /// The per-person guarantee of this aggregate: ρ over its families per epoch, ε at
    /// `privacy.delta`, and δ that plus the selection's δ.
    func privacy(epochs: Int64) -> JSONValue {
        let spent = guarantee.spent(countConfiguration, epochs: epochs)
        var members: [(key: String, value: JSONValue)] = [
            ("mechanism", .string(countConfiguration.mechanism.rawValue)), ("unit", .string(guarantee.unit.rawValue)),
            ("rho", FairnessJSON.number(guarantee.rho)), ("epsilon", FairnessJSON.number(guarantee.epsilon)),
            ("delta", FairnessJSON.number(guarantee.delta + selection.delta)),
            ("conversion_delta", FairnessJSON.number(guarantee.delta)),
            ("selection_delta", FairnessJSON.number(selection.delta)),
            ("series_rho", FairnessJSON.number(spec.rho)), ("families", FairnessJSON.number(Double(families))),
            ("rho_spent", FairnessJSON.number(spent.rho)),
        ]
        if let bounding { members += bounding.members.filter { $0.key != "series_rho" } }
        return .object(members)
    }

    func snapshot() throws -> JSONValue {
        var windows: [JSONValue] = []
        for (index, groups) in open.sorted(by: { $0.key < $1.key }) {
            let entries: [JSONValue] = groups.sorted { $0.key < $1.key }.map { key, tally in
                .array([.string(key), .number(String(tally.records)), .number(String(tally.sumUnits))])
            }
            windows.append(.array([.number(String(index)), .array(entries)]))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(spec.name)), ("next_window", nextWindow.map { .number(String($0)) } ?? .null),
            ("closed_through", closedThrough.map { .number(String($0)) } ?? .null),
            ("over_contribution_cap", .number(String(overContributionCap))), ("open", .array(windows)),
            ("counts", try JSONParser.parse(counts.snapshot())),
        ]
        if let sums { members.append(("sums", try JSONParser.parse(sums.snapshot()))) }
        if let bounding {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            members.append(("bounding", try JSONParser.parse(Array(try encoder.encode(bounding.bounder)))))
        }
        return .object(members)
    }

    mutating func restore(_ state: JSONValue) throws {
        guard case .string(let name)? = state["name"], name == spec.name else {
            throw StateError("the aggregates state does not hold aggregate '\(spec.name)' in its place")
        }
        func integer(_ value: JSONValue?) throws -> Int64 {
            guard case .number(let text)? = value, let number = Int64(text) else {
                throw StateError("aggregate '\(spec.name)': a malformed number in its state")
            }
            return number
        }
        var restored = self
        restored.nextWindow = state["next_window"] == .null ? nil : try integer(state["next_window"])
        restored.closedThrough = state["closed_through"] == .null ? nil : try integer(state["closed_through"])
        restored.overContributionCap = try integer(state["over_contribution_cap"])
        restored.open = [:]
        guard case .array(let windows)? = state["open"], let counts = state["counts"] else {
            throw StateError("aggregate '\(spec.name)': the state lacks its windows or counters")
        }
        for window in windows {
            guard case .array(let pair) = window, pair.count == 2, case .array(let entries) = pair[1] else {
                throw StateError("aggregate '\(spec.name)': a malformed window in its state")
            }
            let index = try integer(pair[0])
            for entry in entries {
                guard case .array(let parts) = entry, parts.count == 3, case .string(let key) = parts[0] else {
                    throw StateError("aggregate '\(spec.name)': a malformed group in its state")
                }
                restored.open[index, default: [:]][key] = Tally(
                    records: try integer(parts[1]), sumUnits: try integer(parts[2]))
            }
        }
        try restored.counts.restore(JSONWriter.encode(counts))
        if restored.sums != nil {
            guard let sums = state["sums"] else {
                throw StateError("aggregate '\(spec.name)': the state lacks its sums")
            }
            try restored.sums!.restore(JSONWriter.encode(sums))
        }
        if restored.bounding != nil {
            guard let saved = state["bounding"] else {
                throw StateError("aggregate '\(spec.name)': the state lacks the per-user bounding state")
            }
            let bounder = try JSONDecoder().decode(WindowContributionBounder.self, from: Data(JSONWriter.encode(saved)))
            guard bounder.hasSameCaps(as: restored.bounding!.bounder) else {
                throw StateError("aggregate '\(spec.name)': the bounding state was written with other caps or epochs")
            }
            restored.bounding!.bounder = bounder
        }
        self = restored
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}
