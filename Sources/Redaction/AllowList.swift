/// Values the policy never reports (`redaction.allow`): a detected entity whose whole text is one of
/// the terms is left out of the results and stays in the text, as Presidio's `allow_list` does with
/// exact matching. Applied after overlaps are resolved, as Presidio does, so an allowed value also
/// hides the shorter candidates inside it (an allowed batch number `ACME-2024-07-15` leaves its date
/// alone too).
struct AllowList: Sendable {
    private enum Terms: Sendable {
        /// The terms as UTF-8 bytes by byte length: an entity is compared with the terms of its length
        /// only, without copying it.
        case exact([Int: [[UInt8]]])
        /// The terms lowercased (Unicode), for matching that ignores case.
        case folded(Set<String>)
    }

    private let terms: Terms

    /// Nil when the policy allows nothing, so detection pays nothing for the feature.
    init?(terms: [String], caseInsensitive: Bool) {
        let terms = Set(terms.filter { !$0.isEmpty })
        if terms.isEmpty { return nil }
        self.terms = caseInsensitive
            ? .folded(Set(terms.map { $0.lowercased() }))
            : .exact(Dictionary(grouping: terms.map { Array($0.utf8) }, by: \.count))
    }

    /// Whether `p[start ..< end]` is one of the terms.
    func contains(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        switch terms {
        case .folded(let folded):
            let text = String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            return folded.contains(text.lowercased())
        case .exact(let byLength):
            guard let candidates = byLength[end - start] else { return false }
            return candidates.contains { term in
                term.withUnsafeBufferPointer { memcmpBytes($0.baseAddress!, p + start, end - start) }
            }
        }
    }

    /// Removes the allowed matches from the first `count` of `ms`, keeping the order; returns how many
    /// remain.
    func drop(_ p: UnsafePointer<UInt8>, _ ms: UnsafeMutableBufferPointer<Match>, count: Int) -> Int {
        var live = 0
        for k in 0..<count where !contains(p, ms[k].start, ms[k].end) {
            ms[live] = ms[k]
            live += 1
        }
        return live
    }
}
