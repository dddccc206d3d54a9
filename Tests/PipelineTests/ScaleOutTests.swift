import Foundation
import Testing

@testable import EngineStages
@testable import Pipeline
@testable import Runtime

/// The stream part of a scaled-out topology (`steward run --scale-out`) as its owner runs it, without
/// a broker: hand-offs of three input partitions arrive interleaved in any order, with copies (a
/// re-read, a broker showing an aborted transaction), and the owner changes mid-way (its state
/// restored, the repartition topic read again from the committed offset). What it publishes must be
/// one processor's outputs, byte for byte, in the same order.
@Suite struct ScaleOutTests {
    let products = ProductTopologies()

    @Test(arguments: [("chats", UInt64(1)), ("finance", 2), ("clicks", 3)])
    func theOwnerPublishesOneProcessorsBytesWhateverTheInterleaving(_ name: String, seed: UInt64) throws {
        let input = try StreamStateTests().messages(name, partitions: 3)
        var fused = try products.processor(name)
        let expected = input.flatMap { fused.process($0) }

        // Each partition's hand-offs in its own order, as its record stages write them.
        var records = try products.processor(name)
        var perPartition: [[Handoff]] = [[], [], []]
        for message in input {
            perPartition[Int(message.partition)].append(records.recordStages(records.prepare(message)))
        }
        // The repartition topic: the three interleaved at random, a run of copies now and then.
        var random = SplitMix(seed: seed)
        var topic: [Handoff] = []
        var next = [0, 0, 0]
        while next != perPartition.map(\.count) {
            let partition = [0, 1, 2].filter { next[$0] < perPartition[$0].count }.randomElement(using: &random)!
            let run = Int.random(in: 1...40, using: &random)
            let end = min(next[partition] + run, perPartition[partition].count)
            topic += perPartition[partition][next[partition]..<end]
            if Int.random(in: 0..<5, using: &random) == 0 {
                // A transaction's records shown again (or re-read): the same hand-offs once more.
                topic += perPartition[partition][max(0, next[partition] - 10)..<end]
            }
            next[partition] = end
        }

        let partitions = (0..<3).map { PartitionID(topic: "chats.raw", partition: Int32($0)) }
        var owner = StreamOwner(processor: try products.processor(name), partitions: partitions, maxTaskIdle: .seconds(1))
        var outputs: [OutputMessage] = []
        var entries: [String: [UInt8]] = [:]
        var offset = 0
        let handover = topic.count / 2
        var handedOver = false
        while offset < topic.count {
            // A poll's worth, then a batch of at most 7 in merged order.
            let end = min(offset + Int.random(in: 1...25, using: &random), topic.count)
            for index in offset..<end { owner.receive(topic[index], at: Int64(index)) }
            offset = end
            outputs += owner.process(maxBatch: 7, idle: [])
            for entry in owner.processor.takeChangedEntries() { entries[entry.key] = entry.value }
            owner.committedOffset = owner.commitOffset
            if !handedOver, offset >= handover {
                // The owner dies; a new one restores the committed state and reads again from the
                // committed repartition offset.
                handedOver = true
                var restored = try products.processor(name)
                try restored.restore(try owner.processor.snapshot(), entries: entries)
                let from = Int(owner.committedOffset ?? 0)
                owner = StreamOwner(processor: restored, partitions: partitions, maxTaskIdle: .seconds(1))
                offset = from
            }
        }
        // The input ends: nothing more comes from any partition (as when a replay closes its files).
        while true {
            let more = owner.process(maxBatch: 7, idle: Set(partitions))
            if more.isEmpty { break }
            outputs += more
        }
        #expect(handedOver)
        #expect(outputs.count == expected.count)
        #expect(outputs == expected)
        #expect(owner.processor.positions == fused.positions)
    }
}
