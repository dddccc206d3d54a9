import Pipeline

/// Bounds what the merge buffers per input partition (Kafka Streams' `buffered.records.per.partition`):
/// a partition whose buffered records reach `limit` is paused at the consumer, so an instance that
/// has fallen behind holds at most about `limit` decoded records per partition, not the backlog the
/// consumer keeps delivering while the merge waits for a slower partition. It is resumed once the
/// merge has taken it below half the limit (the gap keeps pause and resume from alternating at every
/// batch). Pausing drops nothing: librdkafka fetches a resumed partition again from the offset after
/// the last message polled, and everything polled is in the merge.
struct FetchBackpressure: Sendable {
    let limit: Int
    private(set) var paused: Set<PartitionID> = []

    init(limit: Int) {
        precondition(limit > 0, "the buffered-records limit must be positive")
        self.limit = limit
    }

    /// The partitions to pause and to resume now, given what the merge buffers for each assigned one.
    mutating func update(
        assigned: Set<PartitionID>, buffered: (PartitionID) -> Int
    ) -> (pause: [PartitionID], resume: [PartitionID]) {
        var pause: [PartitionID] = []
        var resume: [PartitionID] = []
        for partition in assigned.sorted() {
            let count = buffered(partition)
            if paused.contains(partition) {
                if count < (limit + 1) / 2 {
                    paused.remove(partition)
                    resume.append(partition)
                }
            } else if count >= limit {
                paused.insert(partition)
                pause.append(partition)
            }
        }
        // A partition no longer assigned is not paused any more: the consumer resumes what it gives
        // back, and a later assignment fetches it (`forget`).
        paused.formIntersection(assigned)
        return (pause, resume)
    }

    /// Forgets partitions that were revoked (the consumer resumed them) or assigned anew.
    mutating func forget(_ partitions: some Sequence<PartitionID>) {
        paused.subtract(partitions)
    }
}
