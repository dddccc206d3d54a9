import Audit

/// The processor's durable state: what a restarted or re-assigned instance restores before its
/// first record so that its outputs continue byte for byte (Kafka Streams' state stores).
///
/// One JSON document: the stream stages' states (each stage's own snapshot, nested as is), the
/// stream time and, per input partition, the offset after the last message the state includes.
/// The counters are not part of it: they count what this process did, as metrics do. The runtime
/// writes it to the changelog topic in the same transaction as the outputs and the input offsets,
/// so state, outputs and positions always agree.
extension Processor {
    /// The format version of `snapshot()`; `restore` refuses any other.
    public static let stateVersion = 1

    /// The state as one JSON document (see the type's description).
    public func snapshot() throws -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.appendASCII("{\"version\":")
        writer.writeInteger(Self.stateVersion)
        writer.appendASCII(",\"topology\":")
        writer.writeString(topology.name)
        writer.appendASCII(",\"generation\":")
        writer.writeInteger(stateGeneration)
        writer.appendASCII(",\"stream_time\":")
        if let streamTime { writer.writeInteger(streamTime) } else { writer.appendASCII("null") }
        writer.appendASCII(",\"positions\":[")
        for (index, partition) in positions.keys.sorted().enumerated() {
            if index > 0 { writer.appendASCII(",") }
            writer.appendASCII("{\"topic\":")
            writer.writeString(partition.topic)
            writer.appendASCII(",\"partition\":")
            writer.writeInteger(partition.partition)
            writer.appendASCII(",\"next\":")
            writer.writeInteger(positions[partition]!)
            writer.appendASCII("}")
        }
        writer.appendASCII("],\"stages\":[")
        for (index, stage) in streamStages.enumerated() {
            if index > 0 { writer.appendASCII(",") }
            writer.appendASCII("{\"name\":")
            writer.writeString(stage.name)
            writer.appendASCII(",\"state\":")
            writer.appendRaw(try stage.snapshot())
            writer.appendASCII("}")
        }
        writer.appendASCII("]")
        if let audit {
            writer.appendASCII(",\"audit\":")
            writer.appendRaw(try audit.state.json())
        }
        writer.appendASCII("}")
        return writer.bytes
    }

    /// The keyed parts of the stream stages' state that changed since the last call (keys
    /// `<stage>/<stage's key>`), for the changelog. Starts a new state generation, which the
    /// next `snapshot()` records.
    public mutating func takeChangedEntries() -> [StateEntry] {
        stateGeneration += 1
        var entries: [StateEntry] = []
        for index in streamStages.indices {
            let name = streamStages[index].name
            for entry in streamStages[index].takeChangedEntries() {
                entries.append(StateEntry(key: "\(name)/\(entry.key)", value: entry.value))
            }
        }
        return entries
    }

    /// Continues from a `snapshot()` and the latest value of every keyed entry (`takeChangedEntries()`)
    /// written up to it, of a processor built from the same topology.
    public mutating func restore(_ snapshot: [UInt8], entries: [String: [UInt8]]) throws(StateError) {
        var restored = self
        try restored.restore(snapshot)
        try restored.restore(entries: entries)
        self = restored
    }

    /// Sets the keyed entries (`takeChangedEntries()`), after `restore(_:)` of the snapshot they go with.
    public mutating func restore(entries: [String: [UInt8]]) throws(StateError) {
        var restored = self
        var byStage: [String: [String: [UInt8]]] = [:]
        for (key, value) in entries {
            guard let slash = key.firstIndex(of: "/") else { throw StateError("a state entry key has no stage: \(key)") }
            byStage[String(key[..<slash]), default: [:]][String(key[key.index(after: slash)...])] = value
        }
        for (name, stageEntries) in byStage {
            guard let index = restored.streamStages.firstIndex(where: { $0.name == name }) else {
                throw StateError("state entries for stream stage '\(name)', which this topology does not have")
            }
            do { try restored.streamStages[index].restore(entries: stageEntries) } catch {
                throw StateError("cannot restore the entries of stream stage '\(name)': \(error)")
            }
        }
        self = restored
    }

    /// Continues from a `snapshot()` of a processor built from the same topology.
    public mutating func restore(_ snapshot: [UInt8]) throws(StateError) {
        let document: JSONValue
        do { document = try JSONParser.parse(snapshot) } catch {
            throw StateError("the state is not JSON (\(error.message) at byte \(error.offset))")
        }
        guard document["version"] == .number(String(Self.stateVersion)) else {
            throw StateError("the state has format version \(document["version"].map(\.typeName) ?? "none"); this build reads \(Self.stateVersion)")
        }
        guard case .string(let name) = document["topology"], name == topology.name else {
            throw StateError("the state belongs to another topology than '\(topology.name)'")
        }
        guard case .array(let stageStates) = document["stages"], stageStates.count == streamStages.count else {
            throw StateError("the state has another set of stream stages than this topology")
        }
        var restored = self
        for (index, entry) in stageStates.enumerated() {
            guard case .string(let stageName) = entry["name"], stageName == streamStages[index].name,
                let state = entry["state"]
            else {
                throw StateError("stream stage \(index) of the state is not '\(streamStages[index].name)'")
            }
            do { try restored.streamStages[index].restore(JSONWriter.encode(state)) } catch {
                throw StateError("cannot restore stream stage '\(stageName)': \(error)")
            }
        }
        if case .number(let text) = document["generation"], let generation = Int64(text) {
            restored.stateGeneration = generation
        }
        switch document["stream_time"] {
        case .number(let text): restored.streamTime = Int64(text)
        default: restored.streamTime = nil
        }
        if restored.audit != nil {
            guard let auditState = document["audit"] else {
                throw StateError("the state has no audit log state, but this topology writes an audit log")
            }
            do { restored.audit?.state = try AuditState(json: JSONWriter.encode(auditState)) } catch {
                throw StateError("cannot restore the audit log state: \(error)")
            }
        }
        restored.positions = [:]
        if case .array(let entries) = document["positions"] {
            for entry in entries {
                guard case .string(let topic) = entry["topic"], case .number(let partition) = entry["partition"],
                    case .number(let next) = entry["next"], let p = Int32(partition), let n = Int64(next)
                else { throw StateError("a position in the state is malformed") }
                restored.positions[PartitionID(topic: topic, partition: p)] = n
            }
        }
        self = restored
    }
}

/// The processor's state could not be restored; the message says why.
public struct StateError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
