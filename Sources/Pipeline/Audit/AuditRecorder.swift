import Audit
import JSON

/// The processor's audit log: when to cut entries, the key that signs checkpoints, and the log's
/// state. `state` is the only part that changes; it is a `Codable` value with no secret in it, so it
/// is rolled back with the processor and can be saved and restored with the rest of the stream state.
public struct AuditRecorder: Sendable {
    public var configuration: AuditConfiguration
    public var signingKey: AuditSigningKey?
    public var state = AuditState()

    public init(configuration: AuditConfiguration, signingKey: AuditSigningKey?) {
        self.configuration = configuration
        self.signingKey = signingKey
    }
}

/// A stream stage that spends privacy budget says how much so far; audit entries carry it.
public protocol PrivacyBudgetReporting {
    /// The budget spent so far as a JSON object (e.g. ρ, ε, δ and releases made); nil before any.
    var privacySpent: JSONValue? { get }
}

extension Processor {
    /// Notes a record's outputs in the audit log and appends an entry when one is due: the entry
    /// is part of this record's outputs, so it is published in the same transaction.
    mutating func audited(_ source: SourcePosition, outputs: [OutputMessage]) -> [OutputMessage] {
        guard var recorder = audit else { return outputs }
        audit = nil
        defer { audit = recorder }
        for output in outputs { recorder.state.addOutput(topic: output.topic, value: output.value) }
        let due = recorder.state.recordInput(
            topic: source.topic, partition: source.partition, offset: source.offset,
            configuration: recorder.configuration)
        guard due else { return outputs }
        return outputs + [cutEntry(&recorder, final: false)]
    }

    /// What to publish when the run ends (shutdown, end of a replay): the final audit entry, with a
    /// signed checkpoint (none when nothing happened since the last final entry).
    public mutating func finish() -> [OutputMessage] {
        guard var recorder = audit, recorder.state.needsFinalEntry else { return [] }
        let message = cutEntry(&recorder, final: true)
        audit = recorder
        return [message]
    }

    func cutEntry(_ recorder: inout AuditRecorder, final: Bool) -> OutputMessage {
        let entry = recorder.state.cut(
            final: final,
            lineage: lineageAttributes.scored.map { AuditEntry.Attribute(name: $0.name, value: $0.value) },
            privacy: privacySpent, configuration: recorder.configuration, signingKey: recorder.signingKey)
        let value = CloudEvent.encode(
            id: AuditEntry.eventID(topology: topology.name, sequence: entry.sequence), source: source,
            type: AuditEntry.eventType, time: nil, subject: nil, extensions: lineageAttributes.plain,
            data: entry.json)
        recorder.state.chain(to: value)
        // One key for every audit message, so Kafka keeps them in one partition, in order.
        return OutputMessage(topic: topology.output.audit, key: Array(topology.name.utf8), value: value)
    }

    /// The privacy budget the stream stages report, merged into one object (nil when none spends any).
    var privacySpent: JSONValue? {
        var members: [(key: String, value: JSONValue)] = []
        for stage in streamStages {
            if let reporting = stage as? any PrivacyBudgetReporting, let spent = reporting.privacySpent {
                members.append((stage.name, spent))
            }
        }
        return members.isEmpty ? nil : .object(members)
    }
}
