import Pipeline

/// How long the merge of several input partitions waits for a partition with nothing buffered
/// (Kafka Streams' `max.task.idle.ms`), and the one inexactness that wait allows: a record that
/// arrives on a skipped partition earlier in event time than what was merged meanwhile.
struct IdleWait: Sendable {
    let maxTaskIdle: Duration
    private var emptySince: [PartitionID: ContinuousClock.Instant] = [:]
    /// Per partition, the latest event time merged while that partition was skipped as idle.
    private var mergedPastIdle: [PartitionID: Int64] = [:]

    init(maxTaskIdle: Duration) {
        self.maxTaskIdle = maxTaskIdle
    }

    /// The `candidates` the merge may go on without: nothing buffered (`waiting`) for `maxTaskIdle`
    /// and `isDrained` (nothing more for it on the broker yet: only data that did not exist yet can
    /// then be merged out of order, as in Kafka Streams' KIP-695), or nothing for ten times that
    /// regardless (a partition whose end never looks drained, e.g. a transaction marker that a
    /// position never passes, must not stall the merge).
    mutating func idlePartitions(
        _ candidates: some Sequence<PartitionID>, waiting: Set<PartitionID>, isDrained: (PartitionID) -> Bool
    ) -> Set<PartitionID> {
        let now = ContinuousClock.now
        var idle: Set<PartitionID> = []
        for partition in candidates {
            guard waiting.contains(partition) else {
                emptySince[partition] = nil
                continue
            }
            let since = emptySince[partition] ?? now
            emptySince[partition] = since
            let waited = now - since
            if waited >= maxTaskIdle * 10 || (waited >= maxTaskIdle && isDrained(partition)) { idle.insert(partition) }
        }
        return idle
    }

    /// Notes a record merged at `eventTime` while the `skipped` partitions had nothing buffered.
    mutating func merged(eventTime: Int64?, skipping skipped: Set<PartitionID>) {
        guard let time = eventTime else { return }
        for partition in skipped {
            mergedPastIdle[partition] = max(mergedPastIdle[partition] ?? .min, time)
        }
    }

    /// Whether a record arriving on `partition` at `eventTime` comes after the merge went past it:
    /// it is then ordered differently from a replay (`Processor.countIdleMerge()`).
    func arrivesLate(_ partition: PartitionID, eventTime: Int64?) -> Bool {
        guard let past = mergedPastIdle[partition], let time = eventTime else { return false }
        return time < past
    }

    /// Forgets when partitions became empty (the buffer was emptied and is read again).
    mutating func restart() {
        emptySince = [:]
    }
}
