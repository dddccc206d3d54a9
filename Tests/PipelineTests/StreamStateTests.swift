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
        let cuts = (0..<4).map { _ in Int.random(in: 1..<input.count, using: &generator) }.sorted()
        var outputs: [[UInt8]] = []
        var processor = try products.processor(name)
        var start = 0
        for cut in cuts + [input.count] {
            for message in input[start..<cut] { outputs += processor.process(message).map(\.value) }
            let state = try processor.snapshot()
            processor = try products.processor(name)
            try processor.restore(state)
            start = cut
        }
        #expect(outputs.count == expected.count, "cuts \(cuts)")
        #expect(outputs == expected, "cuts \(cuts)")
        #expect(!uninterrupted.streamStages.isEmpty)
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
