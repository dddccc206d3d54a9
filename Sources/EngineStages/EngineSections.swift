import Foundation
import Fairness
import Pipeline
import Privacy
import Redaction
import Scoring
import TopologyYAML
import Yams

/// What building engines needs from outside the pure core: where relative paths start, the
/// environment (secrets such as redaction keys come only from here, never from the topology),
/// and a way to read files.
public struct EngineEnvironment: Sendable {
    public var baseDirectory: String
    public var variables: [String: String]
    public var readFile: @Sendable (String) throws -> [UInt8]

    public init(baseDirectory: String, variables: [String: String], readFile: @escaping @Sendable (String) throws -> [UInt8]) {
        self.baseDirectory = baseDirectory
        self.variables = variables
        self.readFile = readFile
    }
}

/// The sections the engine stages own, registered with the topology reader by name.
public enum EngineSections {
    public static let keys: [String] = ["redaction", "scoring", "privacy", "fairness", "aggregates", "audit"]
}

extension Topology {
    /// Reads a topology whose sections are the engine stages' (see `load(yaml:file:sections:)`).
    public static func load(yaml text: String, file: String) throws(TopologyErrors) -> Topology {
        try load(yaml: text, file: file, sections: EngineSections.keys)
    }

    /// Checks every engine section without needing secrets; problems are reported at the section.
    /// `readFile` reads the files sections name (model cards and models).
    public func validateEngines(file: String, readFile: (String) throws -> [UInt8]) throws(TopologyErrors) {
        var issues: [TopologyIssue] = []
        for section in sections {
            do {
                switch section.key {
                case "redaction": _ = try Self.redactionPolicy(section)
                case "scoring":
                    let config = try Self.decode(ScoringConfig.self, section)
                    _ = try ScoringModel.load(config: config, baseDirectory: Self.directory(of: file), readFile: readFile)
                case "fairness":
                    let config = try Self.fairnessConfig(section)
                    if config.mode == .private && !sections.contains(where: { $0.key == "privacy" }) {
                        throw EngineConfigurationError(
                            "fairness mode 'private' needs a privacy: section (or mode: raw for trusted internal use)")
                    }
                    if input.eventTimeField == nil {
                        throw EngineConfigurationError("the fairness stage needs input.event_time")
                    }
                    if config.mode == .private, let privacy = sections.first(where: { $0.key == "privacy" }) {
                        try Self.checkPrivacyCovers(config, privacy: try Self.privacyConfiguration(privacy))
                    }
                case "privacy":
                    let privacy = try Self.privacyConfiguration(section)
                    try privacy.validate()
                    _ = try Self.privacyOrigin(privacy)
                    try Self.checkBudget(try budgetParts(privacy), privacy: privacy)
                    guard sections.contains(where: { $0.key == "fairness" || $0.key == "aggregates" }) else {
                        throw EngineConfigurationError(
                            "privacy: releases the fairness stage's counts and the aggregates; add a fairness: or aggregates: section")
                    }
                case "aggregates":
                    let specs = try Self.decode([AggregateSpec].self, section)
                    guard let privacySection = sections.first(where: { $0.key == "privacy" }) else {
                        throw EngineConfigurationError("aggregates are private: add a privacy: section")
                    }
                    if input.eventTimeField == nil {
                        throw EngineConfigurationError("aggregates need input.event_time")
                    }
                    try Self.checkAggregates(specs, privacy: try Self.privacyConfiguration(privacySection))
                case "audit": _ = try Self.decode(AuditSection.self, section)
                default: break
                }
            } catch let error as EngineConfigurationError {
                issues.append(
                    TopologyIssue(
                        file: file, line: error.line ?? section.line, column: error.column ?? section.column,
                        message: "\(section.key): \(error)"))
            } catch {
                issues.append(
                    TopologyIssue(file: file, line: section.line, column: section.column, message: "\(section.key): \(error)"))
            }
        }
        if !issues.isEmpty { throw TopologyErrors(issues: issues) }
    }

    /// Builds the processor with every configured engine.
    public func makeProcessor(file: String, environment: EngineEnvironment) throws -> Processor {
        try validateEngines(file: file, readFile: environment.readFile)
        let (stages, modelSHA256, redactionKeyID) = try recordStages(environment: environment)
        var streamStages: [any StreamStage] = []
        for section in sections {
            switch section.key {
            case "fairness":
                let config = try Self.fairnessConfig(section)
                let release: FairnessStage.CountRelease
                var bounding: UserBounding?
                if config.mode == .private, let privacySection = sections.first(where: { $0.key == "privacy" }) {
                    let privacy = try Self.privacyConfiguration(privacySection)
                    let key = try NoiseKey.load(environment: environment.variables, readFile: environment.readFile)
                    let engine = try PrivacyEngine(configuration: privacy, key: key)
                    var privateRelease = PrivateRelease(
                        engine: engine, topologyName: name, windowSize: config.window.size.milliseconds,
                        windowStep: config.window.step.milliseconds,
                        origin: try Self.privacyOrigin(privacy),
                        runLengths: config.drift.test == .likelihoodRatio
                            ? SpanShiftTest.runNoiseLengths(
                                maxWindows: config.drift.maxWindows, referenceWindows: config.baseline.referenceWindows)
                            : [])
                    // Each person adds at most K to a group's window count (1 per event) and reaches
                    // at most K·M (window, group) pairs per attribute per epoch (an event: one per
                    // window it falls in).
                    let userUnit = privacy.unit == .user
                    let k = userUnit ? privacy.maxContributionsPerWindow ?? 1 : 1
                    let size = config.window.size.milliseconds
                    let advance = max(config.window.step.milliseconds, 1)
                    let m = userUnit ? privacy.maxWindowsPerUser ?? 1 : (size + advance - 1) / advance
                    privateRelease.selection = PartitionSelection(
                        delta: privacy.selectionDelta, maxContribution: k,
                        maxPartitions: k * m * Int64(config.sensitive.count))
                    privateRelease.publicGroups = config.publicGroups.mapValues(Set.init)
                    release = privateRelease
                    if privacy.unit == .user {
                        bounding = try UserBounding(
                            configuration: privacy, key: key, originIndex: privateRelease.originIndex)
                    }
                } else {
                    release = FairnessStage.ExactRelease()
                }
                var stage = FairnessStage(config: config, topologyName: name, release: release)
                stage.userBounding = bounding
                streamStages.append(stage)
            case "aggregates":
                let specs = try Self.decode([AggregateSpec].self, section)
                guard let privacySection = sections.first(where: { $0.key == "privacy" }) else { break }
                let privacy = try Self.privacyConfiguration(privacySection)
                let key = try NoiseKey.load(environment: environment.variables, readFile: environment.readFile)
                let origin = try Self.privacyOrigin(privacy)
                let aggregates = try specs.map {
                    try PrivateAggregate(spec: $0, topologyName: name, privacy: privacy, key: key, origin: origin)
                }
                streamStages.append(AggregateStage(aggregates: aggregates))
            default:
                break
            }
        }
        var processor = Processor(topology: self, stages: stages, streamStages: streamStages)
        processor.lineage = lineage(modelSHA256: modelSHA256, redactionKeyID: redactionKeyID)
        processor.audit = try auditRecorder(environment: environment)
        return processor
    }

    /// Only the per-record stages (redaction, scoring), as `makeProcessor` builds them: what a record
    /// looks like after them, without the keys and state the stream stages need. Without
    /// `explanations` the scores and decisions are the same, only no attributions are computed.
    public func makeRecordStages(
        file: String, environment: EngineEnvironment, explanations: Bool = true
    ) throws -> [any RecordStage] {
        try validateEngines(file: file, readFile: environment.readFile)
        return try recordStages(environment: environment, explanations: explanations).stages
    }

    func recordStages(
        environment: EngineEnvironment, explanations: Bool = true
    ) throws -> (stages: [any RecordStage], modelSHA256: String?, redactionKeyID: String?) {
        var stages: [any RecordStage] = []
        var modelSHA256: String?
        var redactionKeyID: String?
        for section in sections {
            switch section.key {
            case "redaction":
                let policy = try Self.redactionPolicy(section)
                let keys = try RedactionKeys.load(environment: environment.variables, readFile: environment.readFile)
                redactionKeyID = keys?.keyID
                stages.append(RedactionStage(redactor: try Redactor(policy: policy, keys: keys)))
            case "scoring":
                let config = try Self.decode(ScoringConfig.self, section)
                let model = try ScoringModel.load(
                    config: config, baseDirectory: environment.baseDirectory, readFile: environment.readFile)
                modelSHA256 = model.identity.sha256.lowercased()
                stages.append(ScoringStage(model: model, explain: explanations ? config.explain : 0))
            default:
                break
            }
        }
        return (stages, modelSHA256, redactionKeyID)
    }

    /// In private mode one event updates up to 6 count series (total, predicted positive, one
    /// label cell, one confusion cell, scored, score sum) per sensitive attribute. A series steps
    /// once per window, so with overlapping (hopping, sliding) windows one event adds 1 to the same
    /// series at W = ⌈size / advance⌉ steps: its change in the mechanism's noise space is at most W
    /// times a one-step change (triangle inequality), which costs up to W² times the per-series ρ
    /// (zCDP scales with the squared sensitivity). The accountant composes over
    /// `series_per_event`, so it must be at least 6 × attributes × W².
    ///
    /// With `unit: user` a record still updates 6 series per attribute (one per count family), but
    /// the caps bound a user's whole contribution to each family: at most K per window and M
    /// windows per epoch, so at most K·M summed over the family's series (its groups), which is the
    /// sensitivity each counter is calibrated for. Overlapping windows are already inside M (a
    /// record charges every window it falls in), so `series_per_event` must be 6 × attributes
    /// (no W²), and M at least W, or no record could be counted.
    static func checkPrivacyCovers(_ fairness: FairnessConfig, privacy: PrivacyConfiguration) throws {
        let size = fairness.window.size.milliseconds
        let advance = fairness.window.advance?.milliseconds ?? size
        let windowsPerEvent = (size + advance - 1) / max(advance, 1)
        if privacy.unit == .user {
            guard let m = privacy.maxWindowsPerUser, privacy.maxContributionsPerWindow != nil else {
                throw EngineConfigurationError(
                    "privacy.unit user in the fairness stage is bounded per window: set max_contributions_per_window "
                        + "(records of one user per window, e.g. 5) and max_windows_per_user (windows per epoch, "
                        + "at least \(windowsPerEvent))")
            }
            guard m >= windowsPerEvent else {
                throw EngineConfigurationError(
                    "privacy.max_windows_per_user is \(m) but every record falls in \(windowsPerEvent) overlapping "
                        + "windows; set it to at least \(windowsPerEvent)")
            }
            let families = Int64(6 * fairness.sensitive.count)
            guard privacy.seriesPerEvent >= families else {
                throw EngineConfigurationError(
                    "privacy.series_per_event is \(privacy.seriesPerEvent) but a user's records update 6 count "
                        + "families × \(fairness.sensitive.count) attributes; set it to \(families)")
            }
            return
        }
        let needed = Int64(6 * fairness.sensitive.count) * windowsPerEvent * windowsPerEvent
        guard privacy.seriesPerEvent >= needed else {
            throw EngineConfigurationError(
                "privacy.series_per_event is \(privacy.seriesPerEvent) but one event costs up to \(needed) series' budgets "
                    + "(6 counts × \(fairness.sensitive.count) attributes × \(windowsPerEvent)² for the \(windowsPerEvent) "
                    + "overlapping windows each count falls in); set it to \(needed)")
        }
    }

    /// Aggregates step their counters once per `privacy.release_interval`, so their windows are
    /// tumbling and exactly that long: a person's budget per epoch (`horizon` steps) then covers
    /// the fairness counts and every aggregate over the same span of time.
    static func checkAggregates(_ specs: [AggregateSpec], privacy: PrivacyConfiguration) throws {
        guard !specs.isEmpty else { throw EngineConfigurationError("aggregates: lists at least one aggregate") }
        let interval = Int64(((privacy.releaseIntervalSeconds ?? 0) * 1000).rounded())
        var names: Set<String> = []
        for spec in specs {
            guard names.insert(spec.name).inserted else {
                throw EngineConfigurationError("two aggregates are named '\(spec.name)'")
            }
            if let window = spec.window {
                guard window.kind == .tumbling, window.size.milliseconds == interval else {
                    throw EngineConfigurationError(
                        "aggregate '\(spec.name)': its window must be tumbling and privacy.release_interval "
                            + "(\(privacy.releaseInterval)) long: a counter steps once per release interval")
                }
            }
            if privacy.unit == .user && !privacy.boundsWindows {
                throw EngineConfigurationError(
                    "aggregate '\(spec.name)': with privacy.unit user, set max_contributions_per_window and "
                        + "max_windows_per_user (the per-person caps every aggregate applies)")
            }
        }
    }

    /// `privacy.origin` in milliseconds since the Unix epoch (0 when absent).
    static func privacyOrigin(_ privacy: PrivacyConfiguration) throws -> Int64 {
        guard let text = privacy.origin else { return 0 }
        guard let millis = Timestamp.parseRFC3339(text) else {
            throw EngineConfigurationError(
                "privacy.origin must be an RFC 3339 timestamp such as 2026-11-01T00:00:00Z (got \(text))")
        }
        return millis
    }

    static func privacyConfiguration(_ section: Section) throws -> PrivacyConfiguration {
        try decode(PrivacyConfiguration.self, section)
    }

    /// Decodes a section straight from its YAML node; a problem is reported at the line and column of
    /// the value (or, for a missing key, the mapping) it concerns.
    static func decode<T: Decodable>(_ type: T.Type, _ section: Section) throws -> T {
        let node = try yamlNode(section)
        do {
            return try YAMLDecoder().decode(T.self, from: node.node)
        } catch let DecodingError.keyNotFound(key, context) {
            throw EngineConfigurationError(
                "missing key '\(key.stringValue)'" + Self.at(context.codingPath),
                at: node.deepest(along: context.codingPath).mark)
        } catch let DecodingError.dataCorrupted(context) {
            throw located(context, in: node)
        } catch let DecodingError.typeMismatch(_, context) {
            throw located(context, in: node)
        } catch let DecodingError.valueNotFound(_, context) {
            throw located(context, in: node)
        }
    }

    static func located(_ context: DecodingError.Context, in node: SectionNode) -> EngineConfigurationError {
        // The redaction policy's messages name the value themselves (`redaction.fields[0].path`).
        let message = context.underlyingError is RedactionError ? context.debugDescription : Self.describe(context)
        return EngineConfigurationError(message, at: node.deepest(along: context.codingPath).mark)
    }

    static func yamlNode(_ section: Section) throws -> SectionNode {
        guard let node = section.content as? SectionNode else {
            throw EngineConfigurationError("the \(section.key) section was not read from YAML")
        }
        return node
    }

    static func redactionPolicy(_ section: Section) throws -> RedactionPolicy {
        try decode(RedactionPolicy.self, section)
    }

    static func fairnessConfig(_ section: Section) throws -> FairnessConfig {
        try decode(FairnessConfig.self, section)
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return String(file[..<slash])
    }

    static func describe(_ context: DecodingError.Context) -> String {
        context.debugDescription + at(context.codingPath)
    }

    static func at(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " (at \(path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")))"
    }
}

extension Topology {
    /// One section of a topology file read on its own, for the verbs that need only it
    /// (`steward redact --topology`, `steward fairness monitor --config`): the section under `key`,
    /// or, when the file has no such key and `orWholeFile` is set, the whole file as the section's
    /// contents; nil when there is neither.
    public static func standaloneSection(_ key: String, yaml text: String, orWholeFile: Bool) throws -> Section? {
        guard let root = try Yams.compose(yaml: text) else { return nil }
        guard case .mapping(let mapping) = root else {
            throw EngineConfigurationError("the file is not a YAML mapping", at: root.mark)
        }
        guard let node = mapping[key] ?? (orWholeFile ? root : nil) else { return nil }
        return Section(key: key, content: SectionNode(node), line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }
}

extension RedactionPolicy {
    /// The `redaction:` section of a topology file, or of a file that holds only that section, as
    /// `steward redact --topology` reads it; the default policy when the file has none. Built from
    /// the section's node exactly as the pipeline builds its redaction stage.
    public static func fromTopology(yaml text: String) throws -> RedactionPolicy {
        guard let section = try Topology.standaloneSection("redaction", yaml: text, orWholeFile: false) else {
            return .default
        }
        return try Topology.redactionPolicy(section)
    }
}

extension FairnessConfig {
    /// The `fairness:` section of a topology file, or a file that holds only the section's contents.
    public static func fromTopology(yaml text: String) throws -> FairnessConfig {
        guard let section = try Topology.standaloneSection("fairness", yaml: text, orWholeFile: true) else {
            throw EngineConfigurationError("the file is empty: expected a fairness: section")
        }
        return try Topology.fairnessConfig(section)
    }
}

/// An engine section that cannot be used as written.
public struct EngineConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// Where in the topology file the problem is, when it is known more precisely than the section.
    public var line: Int?
    public var column: Int?

    public init(_ description: String, at mark: Mark? = nil) {
        self.description = description
        self.line = mark?.line
        self.column = mark?.column
    }

    /// `file:line:column: description`, as the topology reader reports a problem.
    public func located(in file: String) -> String { "\(file):\(line ?? 1):\(column ?? 1): \(description)" }
}

/// The budget–power statement of a topology's fairness section (`steward validate --describe`).
public struct FairnessBudgetStatement: Sendable {
    /// One line per sensitive attribute: the smallest shifts detected at p90 within the promised delays.
    public var lines: [String]
    /// Warnings (e.g. the 6-window detectable shift is over 0.2).
    public var warnings: [String]
}

extension Topology {
    /// The promised delays: a 0.2 shift within this many windows, a 0.1 shift within this many events of the group.
    public static let promisedWindows = 6
    public static let promisedGroupEvents = 2000.0

    /// For each attribute, the smallest rise of one group's selection rate (from 0.3) that the likelihood-ratio
    /// drift test detects at p90 within 6 windows and within 2,000 events of that group, at the declared
    /// `expected_events_per_window` split evenly over `expected_groups` (default 2) groups, with the privacy
    /// budget's noise after 30 days of releases. Nil without a fairness section.
    public func fairnessBudget() -> FairnessBudgetStatement? {
        guard let section = sections.first(where: { $0.key == "fairness" }),
            let config = try? Self.fairnessConfig(section)
        else { return nil }
        var statement = FairnessBudgetStatement(lines: [], warnings: [])
        guard let volume = config.expectedEventsPerWindow else {
            statement.lines.append(
                "  fairness    smallest detectable shift: declare fairness.expected_events_per_window to state it")
            return statement
        }
        guard config.drift.test == .likelihoodRatio, let design = config.drift.effectiveShift else {
            statement.lines.append(
                "  fairness    smallest detectable shift: stated for drift.test likelihood_ratio only")
            return statement
        }
        let runs = SpanShiftTest.runLengths(upTo: config.drift.maxWindows)
        let reference = config.baseline.referenceWindows
        // The DP noise variance of the count of a run of `windows` windows ending 1 day or 30 days into an epoch
        // (at most at its end, where it is largest): exact where the mechanism has it (BLT, sqrt), otherwise the
        // bound (2·prefix s.d.)².
        var runNoise: (_ windows: Int, _ days: Int64) -> Double = { _, _ in 0 }
        var noiseNote = "raw counts"
        if config.mode == .private, let privacySection = sections.first(where: { $0.key == "privacy" }),
            let privacy = try? Self.privacyConfiguration(privacySection),
            let engine = try? PrivacyEngine(configuration: privacy, key: .evaluationOnly(seed: 0))
        {
            let windowStep = max(1, config.window.step.milliseconds)
            runNoise = { windows, days in
                let steps = min(max(1, days * 86_400_000 / windowStep), privacy.horizon)
                if let exact = engine.differenceVariance(from: steps - 1 - Int64(windows), to: steps - 1) {
                    return exact
                }
                let bound = 2 * engine.theoreticalRMSE(afterSteps: steps)
                return bound * bound
            }
            let exact = engine.differenceVariance(from: 0, to: 1) != nil
            let k = runs.last { $0 <= Self.promisedWindows } ?? 1
            let (day, month) = (Self.short(runNoise(k, 1).squareRoot()), Self.short(runNoise(k, 30).squareRoot()))
            noiseNote = "\(k)-window run-count noise s.d. \(exact ? "" : "≤ ")\(day) after 1 day, \(month) after "
                + "30 days (\(privacy.mechanism.rawValue), series rho \(Self.short(engine.guarantee.seriesRho)))"
        }
        let overlap = (Double(config.window.size.milliseconds) / Double(config.window.step.milliseconds)).rounded(.up)
        for attribute in config.sensitive.map(\.name) {
            let groups = max(2, config.expectedGroups[attribute] ?? 2)
            let perGroup = volume / Double(groups)
            let components = config.drift.metrics.map(SpanShiftTest.componentCount).max() ?? 1
            // Pairs, and (three or more groups, a difference metric) each group against the rest in both directions.
            let contrasts = groups >= 3 && config.drift.metrics.contains { !$0.isRatio }
            let tests = (groups * (groups - 1) + (contrasts ? 2 * groups : 0)) * components
            let h = SpanShiftTest.threshold(falseAlarmRate: config.drift.falseAlarmRate, tests: runs.count * tests)
            func shift(windows: Int, days: Int64) -> Double {
                let k = runs.last { $0 <= windows } ?? 1
                return SpanShiftTest.detectableShift(
                    eventsPerGroup: perGroup, groups: contrasts ? groups : 2, windows: k, referenceWindows: reference,
                    runNoiseVariance: runNoise(k, days), referenceNoiseVariance: runNoise(reference, days), rate: 0.3,
                    overlap: overlap, designShift: design, threshold: h)
            }
            let eventWindows = Int((Self.promisedGroupEvents / perGroup).rounded(.down))
            func both(windows: Int) -> String {
                guard windows >= 1 else { return "none" }
                return "\(Self.short(shift(windows: windows, days: 1))) after 1 day, "
                    + "\(Self.short(shift(windows: windows, days: 30))) after 30 days"
            }
            let inWindows = shift(windows: Self.promisedWindows, days: 30)
            statement.lines.append(
                "  fairness    \(attribute): \(Self.short(perGroup)) events per group per window (\(groups) groups): "
                    + "smallest shift detected at p90 within \(Self.promisedWindows) windows "
                    + "\(both(windows: Self.promisedWindows)); within \(Int(Self.promisedGroupEvents)) events of the "
                    + "group \(both(windows: eventWindows)) (H \(Self.short(h)), \(noiseNote))")
            if inWindows > 0.2 {
                statement.warnings.append(
                    "fairness: with this privacy budget and expected_events_per_window, the smallest parity shift "
                        + "detected within \(Self.promisedWindows) windows over \(attribute) after 30 days is "
                        + "\(Self.short(inWindows)), over 0.2: raise the volume per window, the budget (rho), or accept "
                        + "a longer delay")
            }
        }
        return statement
    }

    static func short(_ value: Double) -> String {
        guard value.isFinite else { return "none" }
        return String(format: value < 10 ? "%.3g" : "%.0f", value)
    }
}
