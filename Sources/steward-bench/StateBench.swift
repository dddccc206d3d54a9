import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Pipeline

/// `steward bench state`: what durable stream state costs — the changelog message the Kafka
/// runtime writes per transaction, and restoring it.
struct StateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Measure the stream state's size per batch and the time to write and restore it.",
        discussion: """
            Processes --input in batches of --batch records, as `steward run --max-batch` does, and takes \
            the state snapshot the runtime writes to the changelog after each batch. Prints the snapshot \
            size (mean, largest, per record), the time to take one, and the time to restore the last one \
            into a freshly built processor.
            """
    )

    @Option(help: "Topology with stream stages (e.g. Topologies/chats.yaml).")
    var topology: String

    @Option(help: "Records, one JSON value a line (e.g. Topologies/samples/chats.jsonl).")
    var input: String

    @Option(help: "Records per batch (transaction).")
    var batch: Int = 500

    @Option(help: "Write the last snapshot to this file (the changelog message's value).")
    var dump: String?

    func run() throws {
        var processor = try loadProcessor(topology)
        guard !processor.streamStages.isEmpty else {
            throw ValidationError("\(topology) has no stream stages, so it keeps no state")
        }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard let data = FileManager.default.contents(atPath: input) else { throw ValidationError("cannot read \(input)") }
        let values = data.split(separator: 10, omittingEmptySubsequences: true).map { Array($0) }
        var sizes: [Int] = []
        var entryBytes: [Int] = []
        var snapshotTime = Duration.zero
        var last: [UInt8] = []
        // The keyed entries (per-person state) as the compacted changelog holds them.
        var entries: [String: [UInt8]] = [:]
        let topic = processor.topology.input.topics.first ?? "events"
        for (index, value) in values.enumerated() {
            _ = processor.process(InputMessage(topic: topic, partition: 0, offset: Int64(index), value: value))
            if (index + 1) % batch == 0 || index + 1 == values.count {
                let start = ContinuousClock.now
                let changed = processor.takeChangedEntries()
                last = try processor.snapshot()
                snapshotTime += ContinuousClock.now - start
                sizes.append(last.count)
                entryBytes.append(changed.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) })
                for entry in changed { entries[entry.key] = entry.value }
            }
        }
        if let dump {
            guard FileManager.default.createFile(atPath: dump, contents: Data(last)) else {
                throw ValidationError("cannot write \(dump)")
            }
        }
        let restoreStart = ContinuousClock.now
        var restored = try loadProcessor(topology)
        try restored.restore(last, entries: entries)
        let restoreTime = ContinuousClock.now - restoreStart
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
        }
        let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
        let entryMean = Double(entryBytes.reduce(0, +)) / Double(entryBytes.count)
        printLine(
            String(
                format: "state: %d records in %d batches of %d: snapshot %.0f bytes mean, %d largest, "
                    + "%.1f bytes per record; keyed entries %.0f bytes per batch, %d keys in all; "
                    + "%.2f ms per snapshot; restore %.1f ms (building the processor included)",
                values.count, sizes.count, batch, mean, sizes.max() ?? 0, (mean + entryMean) / Double(batch),
                entryMean, entries.count, ms(snapshotTime) / Double(sizes.count), ms(restoreTime)))
    }
}
