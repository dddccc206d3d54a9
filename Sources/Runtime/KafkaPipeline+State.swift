import Foundation
import Kafka
import Logging
import Pipeline

/// The stream state's changelog: what a batch writes to it, and the restore that reads it back
/// before the first record is processed (Docs/state.md).
extension KafkaPipeline {
    /// The changelog key of this run's state: the topology and the consumer group, as Kafka
    /// Streams keys state by application id (another group over the same topology starts afresh).
    var stateKey: [UInt8] { Array("\(topology.name)/\(options.group)".utf8) }

    /// Reads the changelog to its end and continues from the last state written for this
    /// topology and group (none: the processor as built).
    func restoreState(into processor: Processor, configuration: KafkaConfiguration) throws -> Processor {
        let topic = topology.output.changelog
        let started = ContinuousClock.now
        let reader = try KafkaConsumer.makeReader(configuration: configuration, group: "\(options.group)-restore")
        defer { reader.close() }
        guard let (low, high) = try reader.watermarks(topic: topic, partition: 0), high > low else {
            logger.info("no state to restore", metadata: ["changelog": "\(topic)"])
            return processor
        }
        try reader.assign([TopicPartitionOffset(topic: topic, partition: 0, offset: low)])
        let key = stateKey
        let entryPrefix = stateKey + Array("/".utf8)
        var latest: [UInt8]?
        // Per entry key, its values in changelog order with their generations.
        var entryValues: [String: [(generation: Int64, value: [UInt8]?)]] = [:]
        var records = 0
        var quietPolls = 0
        while true {
            if let message = try reader.poll(timeoutMilliseconds: 200) {
                records += 1
                quietPolls = 0
                if records % 100 == 0 {
                    options.readiness.setRestoreProgress(Double(message.offset + 1 - low) / Double(high - low))
                }
                if message.key == key {
                    latest = message.value
                } else if let messageKey = message.key, messageKey.starts(with: entryPrefix) {
                    let entryKey = String(decoding: messageKey.dropFirst(entryPrefix.count), as: UTF8.self)
                    entryValues[entryKey, default: []].append(try Self.decodeEntry(message.value, key: entryKey))
                }
                if message.offset + 1 >= high { break }
                continue
            }
            quietPolls += 1
            // Past the last record (a transaction marker may sit at high − 1 and is never returned).
            if let position = reader.position(topic: topic, partition: 0),
                position >= high || (position == high - 1 && quietPolls >= 5)
            {
                break
            }
            if ContinuousClock.now - started > options.restoreTimeout {
                throw RuntimeError(
                    "restoring state from \(topic) took longer than \(options.restoreTimeout): read \(records) "
                        + "records of offsets \(low)..<\(high)")
            }
        }
        guard let latest else { return processor }
        var restored = processor
        do { try restored.restore(latest) } catch {
            throw RuntimeError("cannot restore the state in \(topic): \(error)")
        }
        // The entries the snapshot goes with: per key the latest value written in its generation or
        // before (with at_least_once a crash can leave later entries without their snapshot).
        var entries: [String: [UInt8]] = [:]
        for (entryKey, values) in entryValues {
            if let last = values.last(where: { $0.generation <= restored.stateGeneration }), let value = last.value {
                entries[entryKey] = value
            }
        }
        do { try restored.restore(entries: entries) } catch {
            throw RuntimeError("cannot restore the state in \(topic): \(error)")
        }
        logger.info(
            "state restored",
            metadata: [
                "changelog": "\(topic)", "records_read": "\(records)", "state_bytes": "\(latest.count)",
                "entries": "\(entries.count)",
                "stream_time": "\(restored.streamTime.map(String.init) ?? "none")",
                "duration": "\(ContinuousClock.now - started)",
            ])
        return restored
    }

    /// A batch's changelog messages: every keyed state entry that changed (key `<state key>/<entry>`,
    /// value `{"generation":G,"value":…}`, or `{"generation":G}` once removed), then the snapshot
    /// (key `<state key>`), which records G. Per-person state thus costs what changed, not all of it.
    func changelogMessages(_ processor: inout Processor) throws -> [ProducerMessage] {
        let entries = processor.takeChangedEntries()
        let generation = processor.stateGeneration
        var messages: [ProducerMessage] = entries.map { entry in
            var writer = JSONWriter(capacity: 32 + (entry.value?.count ?? 0))
            writer.appendASCII("{\"generation\":")
            writer.writeInteger(generation)
            if let value = entry.value {
                writer.appendASCII(",\"value\":")
                writer.appendRaw(value)
            }
            writer.appendASCII("}")
            return ProducerMessage(
                topic: topology.output.changelog, key: stateKey + Array("/\(entry.key)".utf8), value: writer.bytes,
                partition: 0)
        }
        messages.append(
            ProducerMessage(topic: topology.output.changelog, key: stateKey, value: try processor.snapshot(), partition: 0))
        return messages
    }

    static func decodeEntry(_ bytes: [UInt8], key: String) throws -> (generation: Int64, value: [UInt8]?) {
        let document = try JSONParser.parse(bytes)
        guard case .number(let text) = document["generation"], let generation = Int64(text) else {
            throw RuntimeError("the changelog entry \(key) has no generation")
        }
        return (generation, document["value"].map { JSONWriter.encode($0) })
    }
}
