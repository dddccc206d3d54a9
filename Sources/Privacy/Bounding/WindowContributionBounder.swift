import Crypto
import Foundation

/// A user's identity as the bounding state keeps it: 128 bits of a keyed HMAC of the user id, so
/// the durable state (and the changelog it is written to) never holds a raw id, and nobody without
/// the noise key can choose ids that collide.
public struct UserFingerprint: Sendable, Hashable, Codable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lowercase hex digits (high word first): the person's key in the changelog.
    public var hex: String {
        func digits(_ word: UInt64) -> String {
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return digits(high) + digits(low)
    }

    public init?(hex: some StringProtocol) {
        guard hex.count == 32, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}

/// Derives user fingerprints from the noise key (a domain of its own, separate from every series):
/// HMAC-SHA256 (RFC 2104) under a key derived from the noise key, the first 128 bits.
public struct UserFingerprinter: Sendable {
    /// SHA-256 after the padded key's inner and outer blocks, computed once: each fingerprint
    /// continues copies of them, so the key blocks are not hashed again per record.
    let inner: SHA256
    let outer: SHA256

    public init(key: NoiseKey) {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("user-bounding\u{0}v1".utf8), using: key.root)
        // The derived key is 32 bytes, under SHA-256's 64-byte block: padded with zeros.
        var block = Array(mac) + [UInt8](repeating: 0, count: SHA256.blockByteCount - SHA256.byteCount)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5c })
        for i in block.indices { block[i] = 0 }
        self.inner = inner
        self.outer = outer
    }

    public func fingerprint(_ user: some Sequence<UInt8>) -> UserFingerprint {
        var hash = inner
        hash.update(data: Array(user))
        return finish(hash)
    }

    /// The fingerprint of `kind`, `:` and `text`'s UTF-8 bytes (e.g. `s:alice`), without building them.
    public func fingerprint(kind: UInt8, _ text: String) -> UserFingerprint {
        var hash = inner
        withUnsafeBytes(of: (kind, UInt8(ascii: ":"))) { hash.update(bufferPointer: $0) }
        var text = text
        text.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return finish(hash)
    }

    /// The outer hash over the inner digest, as 128 bits (little-endian words, high first).
    private func finish(_ hash: consuming SHA256) -> UserFingerprint {
        var outer = self.outer
        hash.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { bytes in
            func word(_ offset: Int) -> UInt64 {
                var value: UInt64 = 0
                for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * i) }
                return value
            }
            return UserFingerprint(high: word(0), low: word(8))
        }
    }
}

/// Per-user contribution bounding over event-time windows (privacy unit = user), enforced before
/// counting: at most `maxContributionsPerWindow` (K) records of one user reach the counts of any
/// window, and one user's records reach at most `maxWindowsPerUser` (M) windows per epoch of
/// `epochWindows` windows. These are PipelineDP's `max_contributions_per_partition` and
/// `max_partitions_contributed` with the window as the partition (Tumult's `MaxRowsPerID` is K·M).
///
/// A record counts in every window that contains it (one with sliding or hopping windows, W of
/// them with windows of W steps), and it is admitted only if each of those windows still has room
/// for the user and the user's new windows fit in M; an admitted record is charged to all of them.
/// So one user adds at most K to a series' count in any window and at most K·M to it over an epoch
/// (summed over all the groups of one attribute, too), whatever the window overlap.
///
/// Decisions are a pure function of the records in input order (the first K of a user in a window
/// are kept) and of the noise key (through the fingerprint), never of arrival time or batching, so
/// a replay reproduces them. The whole state is a `Codable` value for the stream stage's durable
/// snapshots; its size is O(users active in the current epoch). A user's records only ever change
/// that user's own admissions, which is what makes the caps a valid per-user sensitivity bound.
public struct WindowContributionBounder: Sendable, Codable, Equatable {
    public let maxContributionsPerWindow: Int64
    public let maxWindowsPerUser: Int64
    /// Windows per epoch: window index i is in epoch ⌊(i − epochOrigin) / epochWindows⌋.
    public let epochWindows: Int64
    /// The window index where epoch 0 begins: the privacy origin's window, so bounding epochs are
    /// the DP counters' noise epochs.
    public let epochOrigin: Int64
    /// Records admitted and left out of the counts since creation.
    public private(set) var admitted: Int64 = 0
    public private(set) var dropped: Int64 = 0
    /// Per person: O(people active in the epoch). Not part of the `Codable` value: it goes to the
    /// changelog one person at a time (`takeChanges()`), as a Kafka Streams key-value store does.
    var users: [UserFingerprint: UserState] = [:]
    /// People whose state changed (or who were forgotten) since the last `takeChanges()`.
    var changed: Set<UserFingerprint> = []
    /// Derived, not saved: per open window, the people with a record in it, so that closing windows visits
    /// only them (a person may be listed under a window they no longer hold).
    var peopleByWindow: [Int64: [UserFingerprint]] = [:]
    /// Derived, not saved: the live epoch at the last close that visited every person (nil: none yet).
    var scannedEpoch: Int64?

    enum CodingKeys: String, CodingKey {
        case maxContributionsPerWindow, maxWindowsPerUser, epochWindows, epochOrigin, admitted, dropped
    }

    public struct UserState: Sendable, Codable, Equatable {
        /// Admitted records per open window.
        public var windows: [Int64: Int64] = [:]
        /// Distinct windows reached, per epoch (at most two epochs are live at once).
        public var windowsUsed: [Int64: Int64] = [:]

        public init() {}
    }

    public init(maxContributionsPerWindow: Int64, maxWindowsPerUser: Int64, epochWindows: Int64, epochOrigin: Int64 = 0) {
        precondition(maxContributionsPerWindow >= 1 && maxWindowsPerUser >= 1 && epochWindows >= 1)
        self.maxContributionsPerWindow = maxContributionsPerWindow
        self.maxWindowsPerUser = maxWindowsPerUser
        self.epochWindows = epochWindows
        self.epochOrigin = epochOrigin
    }

    /// Whether `other` bounds with the same K, M and epochs (its state may differ).
    public func hasSameCaps(as other: WindowContributionBounder) -> Bool {
        maxContributionsPerWindow == other.maxContributionsPerWindow && maxWindowsPerUser == other.maxWindowsPerUser
            && epochWindows == other.epochWindows && epochOrigin == other.epochOrigin
    }

    /// Users the state holds.
    public var trackedUsers: Int { users.count }

    public func epoch(ofWindow window: Int64) -> Int64 {
        let index = window - epochOrigin
        let quotient = index / epochWindows
        return index % epochWindows != 0 && index < 0 ? quotient - 1 : quotient
    }

    /// Whether one record of `user` that falls in `windows` reaches the counts; if so it is charged
    /// to every one of them.
    public mutating func admit(_ user: UserFingerprint, windows: ClosedRange<Int64>) -> Bool {
        var state = users[user] ?? UserState()
        var newPerEpoch: [Int64: Int64] = [:]
        for window in windows {
            if let count = state.windows[window] {
                guard count < maxContributionsPerWindow else { return reject() }
            } else {
                newPerEpoch[epoch(ofWindow: window), default: 0] += 1
            }
        }
        for (epoch, added) in newPerEpoch where state.windowsUsed[epoch, default: 0] + added > maxWindowsPerUser {
            return reject()
        }
        for (epoch, added) in newPerEpoch { state.windowsUsed[epoch, default: 0] += added }
        for window in windows {
            if state.windows[window] == nil { peopleByWindow[window, default: []].append(user) }
            state.windows[window, default: 0] += 1
        }
        users[user] = state
        changed.insert(user)
        admitted += 1
        return true
    }

    mutating func reject() -> Bool {
        dropped += 1
        return false
    }

    /// Forgets windows before `firstOpen` (closed: no record can reach them any more), and users
    /// with nothing left in an epoch that can still receive records.
    ///
    /// Only the people listed under the closed windows are visited, except when the live epoch moved
    /// (or on the first close): then every person is, to forget the ended epoch's budgets. A stream of
    /// new people thus costs O(people in the closed windows) per close, not O(people in the epoch).
    public mutating func close(windowsBefore firstOpen: Int64) {
        let liveEpoch = epoch(ofWindow: firstOpen)
        guard scannedEpoch == liveEpoch else {
            scannedEpoch = liveEpoch
            closeVisitingEveryone(windowsBefore: firstOpen)
            return
        }
        // The closed windows first: removing while iterating the keys would copy the index.
        for window in peopleByWindow.keys.filter({ $0 < firstOpen }) {
            for user in peopleByWindow.removeValue(forKey: window) ?? [] {
                guard var state = users[user], state.windows.keys.contains(where: { $0 < firstOpen }) else { continue }
                state.windows = state.windows.filter { $0.key >= firstOpen }
                users[user] = state.windows.isEmpty && state.windowsUsed.isEmpty ? nil : state
                changed.insert(user)
            }
        }
    }

    /// `close(windowsBefore:)` over every person: what the index of people by window stands in for.
    mutating func closeVisitingEveryone(windowsBefore firstOpen: Int64) {
        let liveEpoch = epoch(ofWindow: firstOpen)
        for (user, var state) in users
        where state.windows.keys.contains(where: { $0 < firstOpen })
            || state.windowsUsed.keys.contains(where: { $0 < liveEpoch })
        {
            state.windows = state.windows.filter { $0.key >= firstOpen }
            state.windowsUsed = state.windowsUsed.filter { $0.key >= liveEpoch }
            users[user] = state.windows.isEmpty && state.windowsUsed.isEmpty ? nil : state
            changed.insert(user)
        }
        peopleByWindow = peopleByWindow.filter { $0.key >= firstOpen }
    }

    /// The people whose state changed since the last call, with their state (nil: forgotten).
    public mutating func takeChanges() -> [(user: UserFingerprint, state: UserState?)] {
        defer { changed.removeAll(keepingCapacity: true) }
        return changed.sorted { ($0.high, $0.low) < ($1.high, $1.low) }.map { ($0, users[$0]) }
    }

    /// Sets one person's state, as a restore from the changelog does.
    public mutating func restore(_ user: UserFingerprint, _ state: UserState) {
        users[user] = state
        for window in state.windows.keys { peopleByWindow[window, default: []].append(user) }
    }

    /// Equal caps, counters and people (the index of people by window is derived).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.hasSameCaps(as: rhs) && lhs.admitted == rhs.admitted && lhs.dropped == rhs.dropped
            && lhs.users == rhs.users && lhs.changed == rhs.changed
    }
}
