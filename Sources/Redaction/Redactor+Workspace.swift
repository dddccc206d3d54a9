extension Redactor {
    /// Scratch memory that one thread reuses across calls: the raw-match buffer (so a record with many
    /// hits allocates once per workspace, not once per record). Not `Sendable`: give each worker its
    /// own, next to the shared `Redactor`.
    ///
    /// ```swift
    /// let workspace = Redactor.Workspace()
    /// for line in lines { out.write(redactor.redact(text: line, workspace: workspace)) }
    /// let batch = redactor.entities(inEach: lines, workspace: workspace)   // one call, flat result
    /// ```
    public final class Workspace {
        private(set) var matches: UnsafeMutablePointer<Match>
        private(set) var capacity: Int

        /// The path of the record being visited, kept so walking a record allocates no path.
        private var location: [LocationStep] = []
        /// Spans redacted by the scanner since the last `moveCounts`, by the scanner's kind index.
        private(set) var kindCounts: [Int] = []
        private(set) var counted = 0

        func count(_ ms: UnsafeBufferPointer<Match>) {
            for m in ms {
                let kind = Int(m.kind)
                if kind >= kindCounts.count { kindCounts += repeatElement(0, count: kind + 1 - kindCounts.count) }
                kindCounts[kind] += 1
            }
            counted += ms.count
        }

        /// Adds the counts to `totals` (same indexing) and zeroes them.
        func moveCounts(into totals: inout [Int]) {
            guard counted > 0 else { return }
            if totals.count < kindCounts.count { totals += repeatElement(0, count: kindCounts.count - totals.count) }
            for kind in kindCounts.indices where kindCounts[kind] != 0 {
                totals[kind] += kindCounts[kind]
                kindCounts[kind] = 0
            }
            counted = 0
        }

        public init() {
            capacity = 64
            matches = .allocate(capacity: capacity)
        }

        func takeLocation() -> [LocationStep] {
            defer { location = [] }
            return location
        }

        /// Keeps an emptied path for the next record.
        func keepLocation(_ path: [LocationStep]) {
            location = path
        }

        deinit { matches.deallocate() }

        var matchBuffer: UnsafeMutableBufferPointer<Match> { UnsafeMutableBufferPointer(start: matches, count: capacity) }

        /// Takes over a larger block the scanner grew into (its contents are moved out by then).
        func adopt(_ block: UnsafeMutablePointer<Match>, _ capacity: Int) {
            matches.deallocate()
            matches = block
            self.capacity = capacity
        }
    }

    /// A workspace that a value type can carry, such as a pipeline stage that is copied to every
    /// worker: copies share one workspace until one of them asks for it, and that one then takes a
    /// workspace of its own, so two threads never write to the same buffers.
    ///
    /// `@unchecked Sendable` because the workspace is reached only through the mutating
    /// `workspace()`, which returns it only when this value holds the sole reference.
    public struct Scratch: @unchecked Sendable {
        private var current = Workspace()

        public init() {}

        /// This value's workspace, referenced by no copy of it.
        public mutating func workspace() -> Workspace {
            if !isKnownUniquelyReferenced(&current) { current = Workspace() }
            return current
        }
    }

    /// The entities of many records from one call, stored flat: record `r`'s entities are
    /// `entities[ends[r - 1] ..< ends[r]]` (from 0 for the first), also given by `self[r]`.
    public struct EntityBatch: Sendable {
        public internal(set) var entities: [Entity] = []
        public internal(set) var ends: [Int] = []

        public init() {}

        /// How many records the batch holds.
        public var count: Int { ends.count }

        /// The entities of record `r`, with code-point offsets into that record.
        public subscript(r: Int) -> ArraySlice<Entity> { entities[(r == 0 ? 0 : ends[r - 1])..<ends[r]] }

        /// Empties the batch and keeps its storage for the next one.
        public mutating func removeAll() {
            entities.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
        }
    }

    /// `entities(in:)` with the workspace's buffers.
    public func entities(in text: String, workspace: Workspace) -> [Entity] {
        Redactor.withBytes(text) { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { return [] }
            return withMatches(base, buf.count, into: workspace.matchBuffer,
                               adopt: { workspace.adopt($0, $1) }) {
                entities(base, $0)
            }
        }
    }

    /// `redact(text:)` with the workspace's buffers.
    public func redact(text: String, workspace: Workspace) -> String {
        redacted(text, workspace: workspace) ?? text
    }

    /// The entities of every text, as `entities(in:)` finds them record by record, in one flat result.
    public func entities(inEach texts: [String], workspace: Workspace? = nil) -> EntityBatch {
        var batch = EntityBatch()
        entities(inEach: texts[...], workspace: workspace ?? Workspace(), into: &batch)
        return batch
    }

    /// The same into a batch the caller reuses (emptied first, storage kept), so a stream of batches
    /// allocates only when one holds more entities than any before it.
    public func entities(inEach texts: ArraySlice<String>, workspace: Workspace, into batch: inout EntityBatch) {
        batch.removeAll()
        batch.ends.reserveCapacity(texts.count)
        // The buffer is read from the workspace only when a scan outgrew it: touching the workspace
        // object per record would retain and release it.
        var buffer = workspace.matchBuffer
        texts.withUnsafeBufferPointer { texts in
            for k in texts.indices {
                Redactor.withBytes(texts[k]) { buf in
                    guard let base = buf.baseAddress, buf.count > 0 else { return }
                    withMatches(base, buf.count, into: buffer, adopt: { block, capacity in
                        workspace.adopt(block, capacity)
                        buffer = workspace.matchBuffer
                    }) { ms in
                        if !ms.isEmpty { appendEntities(base, ms, to: &batch.entities) }
                    }
                }
                batch.ends.append(batch.entities.count)
            }
        }
    }

    /// Every text through `redact(text:)`, with one workspace for the whole batch.
    public func redact(each texts: [String], workspace: Workspace? = nil) -> [String] {
        var out: [String] = []
        redact(each: texts[...], workspace: workspace ?? Workspace(), into: &out)
        return out
    }

    /// The same into an array the caller reuses (emptied first, storage kept).
    public func redact(each texts: ArraySlice<String>, workspace: Workspace, into out: inout [String]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(texts.count)
        for k in texts.indices { out.append(redact(text: texts[k], workspace: workspace)) }
    }
}

extension Redactor {
    /// Moves the workspace's counts of scanner redactions into `totals`, indexed by kind (cheap: a
    /// few integer adds, and nothing when the record had no finding); `entityCounts` names them.
    public func moveRedactionCounts(from workspace: Workspace, into totals: inout [Int]) {
        workspace.moveCounts(into: &totals)
    }

    /// Counts indexed as `moveRedactionCounts` fills them, by entity type name.
    public func entityCounts(_ totals: [Int]) -> [String: Int] {
        var named: [String: Int] = [:]
        for kind in totals.indices where totals[kind] != 0 && kind < config.kinds.count {
            named[config.kinds[kind].rawValue, default: 0] += totals[kind]
        }
        return named
    }
}
