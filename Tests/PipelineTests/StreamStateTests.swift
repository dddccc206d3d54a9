import Foundation
import Runtime
import Testing

@testable import EngineStages
@testable import Pipeline

/// The stream stages' state survives a restart byte for byte, and what a window holds does not
/// depend on how several partitions interleave.
@Suite struct StreamStateTests {
    let products = ProductTopologies()

    func messages(_ name: String, partitions: Int32 = 1) throws -> [InputMessage] {
        let lines = Replay.lines(of: try products.sample(name))
        var offsets = [Int64](repeating: 0, count: Int(partitions))
        return lines.enumerated().map { index, line in
            // Contiguous runs of lines per partition, so each partition's event times advance.
            let partition = Int32(index * Int(partitions) / lines.count)
            defer { offsets[Int(partition)] += 1 }
            return InputMessage(
                topic: "chats.raw", partition: partition, offset: offsets[Int(partition)], value: Array(line))
        }
    }

    /// Restarting from a snapshot at any point (through its bytes, as the changelog holds it) gives
    /// the uninterrupted run's outputs, for every shipped topology.
    @Test(arguments: ["chats", "finance", "clicks"])
    func restoringASnapshotContinuesByteForByte(_ name: String) throws {
        let input = try messages(name)
        var uninterrupted = try products.processor(name)
        let expected = input.flatMap { uninterrupted.process($0) }.map(\.value)
        var generator = SystemRandomNumberGenerator()
        let cuts = (0..<2).map { _ in Int.random(in: 1..<input.count, using: &generator) }.sorted()
        var outputs: [[UInt8]] = []
        var processor = try products.processor(name)
        // The keyed entries as a compacted changelog holds them: the latest value per key.
        var entries: [String: [UInt8]] = [:]
        var start = 0
        for cut in cuts + [input.count] {
            for message in input[start..<cut] {
                outputs += processor.process(message).map(\.value)
                // Entries are taken per batch; here every few records.
                if message.offset % 7 == 0 {
                    for entry in processor.takeChangedEntries() { entries[entry.key] = entry.value }
                }
            }
            for entry in processor.takeChangedEntries() { entries[entry.key] = entry.value }
            let state = try processor.snapshot()
            processor = try products.processor(name)
            try processor.restore(state, entries: entries)
            start = cut
        }
        #expect(outputs.count == expected.count, "cuts \(cuts)")
        #expect(outputs == expected, "cuts \(cuts)")
        #expect(!uninterrupted.streamStages.isEmpty)
    }

    /// With several instances the record stages run on one processor and the stream part on
    /// another, the record handed over as a repartition message: the outputs (the sanitized events
    /// and dead letters as well, which the stream part publishes) and the audit log are the one
    /// processor's, byte for byte, for every shipped topology.
    @Test(arguments: ["chats", "finance", "clicks"])
    func handingRecordsOverThroughTheRepartitionTopicChangesNoByte(_ name: String) throws {
        var input = try messages(name, partitions: 3)
        // A record that fails decoding, and one with a binary key, travel too.
        input.insert(InputMessage(topic: "chats.raw", partition: 2, offset: 99_999, key: [0, 0xff, 7], value: Array("{".utf8)), at: 17)
        var fused = try products.processor(name)
        let expected = input.flatMap { fused.process($0) }
        var recordInstance = try products.processor(name)
        var streamInstance = try products.processor(name)
        var outputs: [OutputMessage] = []
        for message in input {
            let handoff = recordInstance.recordStages(recordInstance.prepare(message))
            let received = try Handoff(decoding: handoff.encoded())
            #expect(received == handoff)
            outputs += streamInstance.process(received)
        }
        #expect(outputs.count == expected.count)
        #expect(outputs == expected)
        #expect(streamInstance.counters == fused.counters)
        #expect(expected.contains { $0.topic == "\(name).audit" })
        #expect(expected.contains { $0.topic == "\(name).dlq" && $0.key == [0, 0xff, 7] })
    }

    /// A state from one topology is refused by another, with a message naming it.
    @Test func aStateFromAnotherTopologyIsRefused() throws {
        var chats = try products.processor("chats")
        for message in try messages("chats").prefix(100) { _ = chats.process(message) }
        var finance = try products.processor("finance")
        #expect(throws: StateError.self) { try finance.restore(try chats.snapshot()) }
        #expect(throws: StateError.self) { try finance.restore(Array("{\"version\":99}".utf8)) }
    }

    /// However the messages of four partitions arrive, the merge hands them to the stream stages
    /// in one order, so every output is the same.
    @Test func theMergedOrderDoesNotDependOnArrival() throws {
        let input = try messages("chats", partitions: 4)
        var reference: [[UInt8]]?
        for seed in 0..<4 {
            var processor = try products.processor("chats")
            var merge = MergeBuffer()
            var queues = Dictionary(grouping: input, by: \.partition).mapValues { ArraySlice($0) }
            for partition in queues.keys { merge.open(PartitionID(topic: "chats.raw", partition: partition)) }
            var generator = SplitMix(seed: UInt64(seed) &+ 0x1234_5678)
            var outputs: [[UInt8]] = []
            while !queues.isEmpty {
                // Deliver a random-length run from a random partition, as fetches do.
                let partition = queues.keys.sorted()[Int(generator.next() % UInt64(queues.count))]
                let run = Int(generator.next() % 50) + 1
                for message in queues[partition]!.prefix(run) { merge.append(processor.prepare(message)) }
                queues[partition]!.removeFirst(min(run, queues[partition]!.count))
                if queues[partition]!.isEmpty {
                    queues[partition] = nil
                    merge.close(PartitionID(topic: "chats.raw", partition: partition))
                }
                while let next = merge.next() { outputs += processor.process(next).map(\.value) }
            }
            #expect(merge.count == 0)
            let sorted = outputs.sorted { $0.lexicographicallyPrecedes($1) }
            if let reference { #expect(sorted == reference, "arrival order \(seed)") } else { reference = sorted }
            // Windows and alerts in the same order, too.
            let aggregates = outputs.filter { String(decoding: $0, as: UTF8.self).contains("fairness.window") }
            #expect(aggregates.count >= 8)
        }
    }
}

/// A fault that was firing before a restart is resolved by the restarted processor when its
/// condition clears, under the same dedup key, and nothing is fired twice.
@Suite struct AlertsAcrossRestarts {
    static let yaml = """
        name: restartalerts
        input:
          topic: restartalerts-in
          event_time: {field: ts}
        fairness:
          mode: raw
          sensitive: [g]
          prediction: approved
          window: {type: tumbling, size: 1m}
          watermark: {max_out_of_orderness: 1s}
          min_group_size: 20
          four_fifths: {enabled: true, threshold: 0.8, metrics: [demographic_parity_ratio]}
          alerts: {pipeline: restartalerts, resolve_after: 1}
        """

    func processor() throws -> Processor {
        let topology = try Topology.load(yaml: Self.yaml, file: "t.yaml")
        return try topology.makeProcessor(
            file: "t.yaml", environment: EngineEnvironment(baseDirectory: ".", variables: [:], readFile: { _ in [] }))
    }

    /// Ten one-minute windows of 200 records per group: group b's approval rate falls from 0.6 to
    /// 0.2 in windows 3–5 (a four-fifths violation), then recovers.
    func messages() -> [InputMessage] {
        var result: [InputMessage] = []
        for window in 0..<10 {
            for index in 0..<400 {
                let group = index % 2 == 0 ? "a" : "b"
                let rate = group == "b" && (3...5).contains(window) ? 0.2 : 0.6
                let approved = Double(index / 2 % 10) < rate * 10 ? 1 : 0
                let ts = Int64(window) * 60_000 + Int64(index) * 140
                let value = #"{"g":"\#(group)","approved":\#(approved),"ts":\#(ts)}"#
                result.append(
                    InputMessage(topic: "restartalerts-in", partition: 0, offset: Int64(result.count), value: Array(value.utf8)))
            }
        }
        return result
    }

    @Test func aFiringAlertIsResolvedAfterARestart() throws {
        let input = messages()
        var uninterrupted = try processor()
        let expected = input.flatMap { uninterrupted.process($0) }
        let alerts = expected.filter { $0.topic == "restartalerts.alerts" }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(alerts.count == 2, "one firing and one resolved: \(alerts)")
        #expect(alerts.first?.contains("firing") == true && alerts.last?.contains("resolved") == true)
        // Restart just after the record whose window fired, and again in the middle of the violation.
        var probe = try processor()
        let firedAt = input.firstIndex { probe.process($0).contains { $0.topic == "restartalerts.alerts" } }!
        for cut in [firedAt + 1, firedAt + 300] {
            var first = try processor()
            var outputs = input[..<cut].flatMap { first.process($0) }
            var second = try processor()
            try second.restore(try first.snapshot())
            outputs += input[cut...].flatMap { second.process($0) }
            #expect(outputs.map(\.value) == expected.map(\.value), "cut at \(cut)")
        }
    }
}
