/// Per-user contribution bounding (privacy unit = user), enforced before counting.
///
/// Caps (Tumult's MaxRowsPerID / MaxGroupsPerID ideas): at most `perWindow` rows of one user per
/// window, `perSeries` contributions of one user to one series per epoch, and `perUser`
/// contributions of one user per epoch. Excess contributions are dropped and counted.
///
/// Memory is fixed up front: an exact open-addressing table of 64-bit user fingerprints (18 bytes
/// a slot) and a conservative-update count-min sketch for (user, series) pairs. Both can only
/// over-count a user (a fingerprint collision merges two users; a sketch collision adds
/// another pair's count), so caps are never exceeded; the cost of a collision is a false drop.
public struct ContributionBounder: Sendable {
    public let caps: PrivacyConfiguration.Caps
    /// Contributions admitted and dropped since creation.
    public private(set) var admitted: Int64 = 0
    public private(set) var dropped: Int64 = 0

    var fingerprints: [UInt64]
    var totals: [UInt32]
    var windowCounts: [UInt16]
    var windowTags: [UInt32]
    var users = 0
    var pairs: CountMinSketch

    /// - Parameters:
    ///   - expectedUsers: active users per epoch the table is sized for (it grows beyond that).
    ///   - pairSketchWidth: counters per sketch row (4 rows of 16-bit counters).
    public init(caps: PrivacyConfiguration.Caps, expectedUsers: Int = 1 << 20, pairSketchWidth: Int = 1 << 21) {
        self.caps = caps
        var capacity = 1024
        while Double(capacity) * 0.7 < Double(expectedUsers) { capacity *= 2 }
        fingerprints = Array(repeating: 0, count: capacity)
        totals = Array(repeating: 0, count: capacity)
        windowCounts = Array(repeating: 0, count: capacity)
        windowTags = Array(repeating: 0, count: capacity)
        pairs = CountMinSketch(width: pairSketchWidth)
    }

    /// Bytes held by the tables (the measured resident size is reported by `steward bench privacy`).
    public var memoryBytes: Int { fingerprints.count * 18 + pairs.memoryBytes }

    /// Decides whether one contribution of `user` to `series` in `window` is admitted; admitted
    /// contributions are charged against every cap.
    public mutating func admit(user: some Sequence<UInt8>, series: some Sequence<UInt8>, window: Int64) -> Bool {
        let userHash = fingerprint(user)
        let pairHash = mix(userHash ^ mix(fingerprint(series) &+ 0x9E37_79B9_7F4A_7C15))
        let slot = findOrInsert(userHash)
        let tag = UInt32(truncatingIfNeeded: window)
        if windowTags[slot] != tag {
            windowTags[slot] = tag
            windowCounts[slot] = 0
        }
        guard Int64(windowCounts[slot]) < caps.perWindow, Int64(totals[slot]) < caps.perUser,
            Int64(pairs.estimate(pairHash)) < caps.perSeries
        else {
            dropped += 1
            return false
        }
        windowCounts[slot] &+= 1
        totals[slot] &+= 1
        pairs.increment(pairHash)
        admitted += 1
        return true
    }

    /// Starts a new epoch: per-series and per-user totals restart (window counts too).
    public mutating func startEpoch() {
        for i in fingerprints.indices { fingerprints[i] = 0 }
        users = 0
        pairs.clear()
    }

    mutating func findOrInsert(_ hash: UInt64) -> Int {
        if users * 10 >= fingerprints.count * 7 { grow() }
        let mask = fingerprints.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let f = fingerprints[i]
            if f == hash { return i }
            if f == 0 {
                fingerprints[i] = hash
                totals[i] = 0
                windowCounts[i] = 0
                windowTags[i] = UInt32.max
                users += 1
                return i
            }
            i = (i + 1) & mask
        }
    }

    mutating func grow() {
        let old = (fingerprints, totals, windowCounts, windowTags)
        let capacity = fingerprints.count * 2
        fingerprints = Array(repeating: 0, count: capacity)
        totals = Array(repeating: 0, count: capacity)
        windowCounts = Array(repeating: 0, count: capacity)
        windowTags = Array(repeating: 0, count: capacity)
        let mask = capacity - 1
        for j in old.0.indices where old.0[j] != 0 {
            var i = Int(truncatingIfNeeded: old.0[j]) & mask
            while fingerprints[i] != 0 { i = (i + 1) & mask }
            fingerprints[i] = old.0[j]
            totals[i] = old.1[j]
            windowCounts[i] = old.2[j]
            windowTags[i] = old.3[j]
        }
    }
}

/// A count-min sketch with conservative update and 16-bit saturating counters (4 rows).
struct CountMinSketch: Sendable {
    var cells: [UInt16]
    let width: Int

    init(width: Int) {
        var w = 1
        while w < width { w *= 2 }
        self.width = w
        cells = Array(repeating: 0, count: 4 * w)
    }

    var memoryBytes: Int { cells.count * 2 }

    @inline(__always)
    func index(_ hash: UInt64, row: Int) -> Int {
        let h = mix(hash &+ UInt64(row) &* 0xD1B5_4A32_D192_ED03)
        return row * width + Int(truncatingIfNeeded: h) & (width - 1)
    }

    func estimate(_ hash: UInt64) -> UInt16 {
        var m = UInt16.max
        for row in 0..<4 { m = min(m, cells[index(hash, row: row)]) }
        return m
    }

    mutating func increment(_ hash: UInt64) {
        let target = estimate(hash) == .max ? UInt16.max : estimate(hash) + 1
        for row in 0..<4 {
            let i = index(hash, row: row)
            if cells[i] < target { cells[i] = target }
        }
    }

    mutating func clear() {
        for i in cells.indices { cells[i] = 0 }
    }
}

/// FNV-1a over the bytes, then a SplitMix64 finalizer; never 0 (0 marks an empty slot).
@inline(__always)
func fingerprint(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    let m = mix(h)
    return m == 0 ? 1 : m
}

@inline(__always)
func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
