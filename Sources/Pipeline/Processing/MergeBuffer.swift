/// What the merge orders: a message of one input partition, at an offset, maybe with an event time.
public protocol MergeItem: Sendable {
    var partition: PartitionID { get }
    var offset: Int64 { get }
    var eventTime: Int64? { get }
}

/// The merge of input messages decoded in this process.
public typealias MergeBuffer = MergeQueue<PreparedMessage>

/// Orders the messages of several input partitions for the keyed stream stages: Kafka Streams'
/// timestamp synchronisation. The next message is always the buffered head with the smallest
/// (event time, partition, offset) — a message without an event time sorts first — and it is
/// taken only once every open partition has a buffered head, so the order depends on the
/// partitions' contents alone, never on how their messages interleaved on arrival.
///
/// A partition with nothing buffered holds the merge back. The runtime may name partitions that
/// have been empty too long (`max.task.idle.ms`) to go on without them: the one case in which a
/// Kafka run can order records differently from a replay, which the processor counts.
public struct MergeQueue<Item: MergeItem>: Sendable {
    private var queues: [PartitionID: Queue] = [:]
    /// Partitions that may still deliver messages.
    public private(set) var open: Set<PartitionID> = []
    public private(set) var count = 0

    public init() {}

    /// A queue read from its head index (removing from the front of an array would be O(n)).
    struct Queue: Sendable {
        var items: [Item] = []
        var head = 0
        var isEmpty: Bool { head == items.count }
        var first: Item? { isEmpty ? nil : items[head] }

        /// Taken messages stay in `items` until the queue empties or they are the larger part of
        /// it: a queue that never empties (a partition read behind its backlog) would otherwise keep
        /// every message it ever held.
        mutating func removeFirst() -> Item {
            let item = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    /// A partition that will deliver messages (assigned, or an input file not yet read to its end).
    public mutating func open(_ partition: PartitionID) {
        open.insert(partition)
    }

    /// A partition that will deliver no more: its buffered messages still drain in order.
    public mutating func close(_ partition: PartitionID) {
        open.remove(partition)
    }

    /// Forgets a partition and its buffered messages (revoked: its next owner reads them again).
    public mutating func drop(_ partition: PartitionID) {
        open.remove(partition)
        count -= queues.removeValue(forKey: partition).map { $0.items.count - $0.head } ?? 0
    }

    /// Forgets every buffered message (after an aborted transaction the runtime re-reads them).
    public mutating func removeAll() {
        queues.removeAll()
        count = 0
    }

    public mutating func append(_ message: Item) {
        queues[message.partition, default: Queue()].items.append(message)
        count += 1
    }

    /// The first buffered message of every partition that has one.
    public var heads: [Item] {
        queues.values.compactMap(\.first)
    }

    /// How many messages of `partition` are buffered.
    public func buffered(_ partition: PartitionID) -> Int {
        queues[partition].map { $0.items.count - $0.head } ?? 0
    }

    /// Messages held in storage, taken ones not released yet included.
    var retained: Int {
        queues.values.reduce(0) { $0 + $1.items.count }
    }

    /// Whether `partition` has a message buffered.
    public func hasBuffered(_ partition: PartitionID) -> Bool {
        !(queues[partition]?.isEmpty ?? true)
    }

    /// Open partitions with nothing buffered: the merge waits for them.
    public var waiting: [PartitionID] {
        open.filter { !hasBuffered($0) }.sorted()
    }

    /// The next message in merged order, or nil while an open partition not in `idle` has nothing
    /// buffered (or nothing is buffered at all).
    public mutating func next(idle: Set<PartitionID> = []) -> Item? {
        guard count > 0 else { return nil }
        for partition in open where !idle.contains(partition) && !hasBuffered(partition) { return nil }
        var best: (partition: PartitionID, key: (Int64, Int32, Int64, String))?
        for (partition, queue) in queues {
            guard let head = queue.first else { continue }
            let key = (head.eventTime ?? .min, partition.partition, head.offset, partition.topic)
            if best == nil || key < best!.key { best = (partition, key) }
        }
        guard let chosen = best?.partition else { return nil }
        count -= 1
        return queues[chosen]!.removeFirst()
    }
}
