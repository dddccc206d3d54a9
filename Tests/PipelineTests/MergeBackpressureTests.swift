import Testing

@testable import Pipeline
@testable import Runtime

/// What bounds the memory of a run behind its input: the merge releases what it has handed on
/// even when a partition never runs dry, and `FetchBackpressure` pauses partitions whose buffer
/// is full (Kafka Streams' `buffered.records.per.partition`).
@Suite struct MergeBackpressureTests {
    struct Item: MergeItem, Equatable {
        var partition: PartitionID
        var offset: Int64
        var eventTime: Int64?
    }

    static let partitions = (0..<3).map { PartitionID(topic: "in", partition: Int32($0)) }

    @Test func aQueueThatNeverEmptiesReleasesWhatItHandedOn() {
        var merge = MergeQueue<Item>()
        for partition in Self.partitions { merge.open(partition) }
        var offsets = [Int64](repeating: 0, count: Self.partitions.count)
        var random = SplitMix(seed: 11)
        var merged: [Item] = []
        var largest = 0
        // Every partition always keeps a few messages buffered: none of its queues ever empties.
        for step in 0..<30_000 {
            for (index, partition) in Self.partitions.enumerated() where merge.buffered(partition) < 8 {
                merge.append(Item(partition: partition, offset: offsets[index], eventTime: Int64(step) * 10 + Int64(random.next() % 7)))
                offsets[index] += 1
            }
            if let next = merge.next() { merged.append(next) }
            largest = max(largest, merge.retained)
        }
        // At most about twice what is buffered, or 64 taken messages, per partition.
        #expect(largest <= 3 * (64 + 8), "the merge kept up to \(largest) messages, buffering at most 24")
        // The order is the merge's: per partition in offset order, and by (event time, partition,
        // offset) among the heads, as without compaction.
        for partition in Self.partitions {
            let offsets = merged.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
        #expect(merged.count > 29_000)
    }

    @Test func compactingKeepsTheMergedOrder() {
        // The merge against a reference that keeps every partition's messages in full: the head with
        // the smallest (event time, partition, offset), taken while every open partition has one.
        var merge = MergeQueue<Item>()
        for partition in Self.partitions { merge.open(partition) }
        var reference = [[Item]](repeating: [], count: Self.partitions.count)
        var heads = [Int](repeating: 0, count: Self.partitions.count)
        var open = Set(0..<Self.partitions.count)
        func referenceNext() -> Item? {
            let candidates = (0..<Self.partitions.count).filter { heads[$0] < reference[$0].count }
            guard !candidates.isEmpty, open.allSatisfy({ heads[$0] < reference[$0].count }) else { return nil }
            let best = candidates.min {
                let (x, y) = (reference[$0][heads[$0]], reference[$1][heads[$1]])
                return (x.eventTime ?? .min, x.partition.partition, x.offset) < (y.eventTime ?? .min, y.partition.partition, y.offset)
            }!
            heads[best] += 1
            return reference[best][heads[best] - 1]
        }
        var random = SplitMix(seed: 5)
        var merged: [Item] = []
        var expected: [Item] = []
        for step in 0..<20_000 {
            // Partition 2 lags: it gets a message a third as often, so the others' queues grow and
            // are taken from without ever emptying.
            let index = step % 4 == 3 ? 2 : Int(random.next() % 2)
            let item = Item(
                partition: Self.partitions[index], offset: Int64(reference[index].count),
                eventTime: random.next() % 9 == 0 ? nil : Int64(step + Int(random.next() % 50)))
            merge.append(item)
            reference[index].append(item)
            while let next = merge.next() { merged.append(next) }
            while let next = referenceNext() { expected.append(next) }
        }
        for index in 0..<Self.partitions.count {
            merge.close(Self.partitions[index])
            open.remove(index)
        }
        while let next = merge.next() { merged.append(next) }
        while let next = referenceNext() { expected.append(next) }
        #expect(merged.count == 20_000)
        #expect(merged == expected)
    }

    @Test func aPartitionIsPausedAtTheLimitAndResumedBelowHalfOfIt() {
        var backpressure = FetchBackpressure(limit: 10)
        let a = Self.partitions[0]
        let b = Self.partitions[1]
        var buffered: [PartitionID: Int] = [a: 9, b: 0]
        func update() -> (pause: [PartitionID], resume: [PartitionID]) {
            backpressure.update(assigned: [a, b]) { buffered[$0] ?? 0 }
        }
        #expect(update() == ([], []))
        buffered[a] = 10
        #expect(update() == ([a], []))
        #expect(update() == ([], []), "paused once")
        buffered[a] = 5
        #expect(update() == ([], []), "half the limit is not below it")
        buffered[a] = 4
        #expect(update() == ([], [a]))
        #expect(backpressure.paused.isEmpty)
        buffered[a] = 12
        buffered[b] = 30
        #expect(update() == ([a, b], []))
        // Revoked, then assigned again: this member no longer counts it as paused.
        backpressure.forget([b])
        #expect(backpressure.paused == [a])
        buffered[b] = 0
        #expect(update() == ([], []), "nothing to resume for a partition the assignment restarted")
        // A partition no longer assigned is dropped from the paused set.
        #expect(backpressure.update(assigned: [b]) { buffered[$0] ?? 0 } == ([], []))
        #expect(backpressure.paused.isEmpty)
    }
}
