import Crypto
import Foundation
import Testing

@testable import Privacy

@Suite struct WindowBoundingTests {
    static let key = NoiseKey.evaluationOnly(seed: 26)

    /// A reproducible stream of test words (the keyed noise stream of an evaluation-only key).
    static func stream(_ seed: UInt64) -> NoiseStream {
        NoiseKey.evaluationOnly(seed: seed).series("bounding-test").stream(domain: 0, index: 0)
    }

    func user(_ name: String) -> UserFingerprint { UserFingerprinter(key: Self.key).fingerprint(Array(name.utf8)) }

    @Test func aHeavyUserReachesOneWindowKTimes() {
        var bounder = WindowContributionBounder(maxContributionsPerWindow: 3, maxWindowsPerUser: 4, epochWindows: 100)
        let heavy = user("heavy")
        let admitted = (0..<40).filter { _ in bounder.admit(heavy, windows: 7...7) }.count
        #expect(admitted == 3)
        #expect(bounder.admitted == 3 && bounder.dropped == 37)
        // Another user is not affected by the heavy one.
        let light = bounder.admit(user("light"), windows: 7...7)
        #expect(light)
    }

    @Test func aRecordInOverlappingWindowsIsChargedToEachAndNeedsRoomInAll() {
        var bounder = WindowContributionBounder(maxContributionsPerWindow: 2, maxWindowsPerUser: 3, epochWindows: 100)
        let u = user("u")
        let decisions = [
            bounder.admit(u, windows: 4...5),  // windows 4, 5: 1 each, 2 windows used
            bounder.admit(u, windows: 5...5),  // window 5 full
            bounder.admit(u, windows: 5...6),  // 5 has no room: left out of 6 as well
            bounder.admit(u, windows: 6...6),  // third window
            bounder.admit(u, windows: 7...7),  // a fourth window is over M
            bounder.admit(u, windows: 4...4),  // an open window already used still has room
            bounder.admit(u, windows: 4...4),
        ]
        #expect(decisions == [true, true, false, true, false, true, false])
    }

    @Test func theWindowBudgetRestartsEachEpoch() {
        var bounder = WindowContributionBounder(maxContributionsPerWindow: 1, maxWindowsPerUser: 2, epochWindows: 10)
        let u = user("u")
        let decisions = [
            bounder.admit(u, windows: 8...8), bounder.admit(u, windows: 9...9),
            bounder.admit(u, windows: 7...7),
            // Windows 9 and 10 straddle epochs 0 and 1: window 9 is full, so nothing.
            bounder.admit(u, windows: 9...10),
            bounder.admit(u, windows: 10...11),
            bounder.admit(u, windows: 12...12),
        ]
        #expect(decisions == [true, true, false, false, true, false])
        #expect(bounder.epoch(ofWindow: -1) == -1 && bounder.epoch(ofWindow: 10) == 1)
    }

    @Test func closingWindowsForgetsThemButNotTheEpochBudget() {
        var bounder = WindowContributionBounder(maxContributionsPerWindow: 5, maxWindowsPerUser: 2, epochWindows: 10)
        let u = user("u")
        var decisions = [bounder.admit(u, windows: 1...1), bounder.admit(u, windows: 2...2)]
        bounder.close(windowsBefore: 3)
        #expect(bounder.trackedUsers == 1)
        decisions.append(bounder.admit(u, windows: 3...3))
        bounder.close(windowsBefore: 10)
        #expect(bounder.trackedUsers == 0)
        decisions.append(bounder.admit(u, windows: 10...10))
        #expect(decisions == [true, true, false, true])
    }

    /// Closing windows visits only the people listed under them, and every person when the epoch moves: over a
    /// stream of returning and new people across epochs, with restores, it decides, forgets and reports changes
    /// exactly as visiting every person at every close does.
    @Test func closingByTheIndexEqualsVisitingEveryone() throws {
        var rng = Self.stream(11)
        var indexed = WindowContributionBounder(maxContributionsPerWindow: 2, maxWindowsPerUser: 3, epochWindows: 16)
        var scanning = indexed
        var firstOpen: Int64 = 0
        var changes = 0
        for round in 0..<60 {
            for _ in 0..<80 {
                let name = rng.next() % 3 == 0 ? "new\(round)-\(rng.next() % 1000)" : "u\(rng.next() % 60)"
                let window = firstOpen + Int64(rng.next() % 3)
                let windows = window...(window + 1)
                #expect(indexed.admit(user(name), windows: windows) == scanning.admit(user(name), windows: windows))
            }
            firstOpen += 1
            indexed.close(windowsBefore: firstOpen)
            scanning.closeVisitingEveryone(windowsBefore: firstOpen)
            #expect(indexed == scanning)
            let taken = indexed.takeChanges()
            #expect(taken.map(\.user) == scanning.takeChanges().map(\.user))
            changes += taken.count
            if round == 30 {
                // A restore in the middle: the index is rebuilt from the people restored.
                var restored = try JSONDecoder().decode(
                    WindowContributionBounder.self, from: try JSONEncoder().encode(indexed))
                for (person, state) in indexed.users { restored.restore(person, state) }
                indexed = restored
            }
        }
        #expect(changes > 0 && indexed.trackedUsers > 0 && indexed.trackedUsers < 60 * 80)
    }

    /// Random streams with overlapping windows: no user ever exceeds K in a window or M windows in
    /// an epoch, and what the bounder admits is exactly the greedy closed form computed here.
    @Test(arguments: [UInt64(1), 2, 3])
    func capsHoldAndDecisionsAreTheGreedyClosedForm(seed: UInt64) {
        var rng = Self.stream(seed)
        let (k, m, epoch) = (Int64(3), Int64(5), Int64(8))
        var bounder = WindowContributionBounder(maxContributionsPerWindow: k, maxWindowsPerUser: m, epochWindows: epoch)
        var perWindow: [String: [Int64: Int64]] = [:]
        for _ in 0..<4000 {
            let name = "u\(rng.next() % 40)"
            let first = Int64(rng.next() % 30)
            let windows = first...(first + Int64(rng.next() % 3))
            // Reference: admitted iff every window has room and the new windows fit M in their epoch.
            let counts = perWindow[name, default: [:]]
            var new: [Int64: Int64] = [:]
            for w in windows where counts[w] == nil { new[w / epoch, default: 0] += 1 }
            let used = Dictionary(grouping: counts.keys, by: { $0 / epoch }).mapValues { Int64($0.count) }
            let expected =
                windows.allSatisfy { counts[$0, default: 0] < k }
                && new.allSatisfy { used[$0.key, default: 0] + $0.value <= m }
            let decision = bounder.admit(user(name), windows: windows)
            #expect(decision == expected)
            if expected { for w in windows { perWindow[name, default: [:]][w, default: 0] += 1 } }
        }
        for counts in perWindow.values {
            #expect(counts.values.allSatisfy { $0 <= k })
            #expect(Dictionary(grouping: counts.keys, by: { $0 / epoch }).values.allSatisfy { $0.count <= m })
        }
        #expect(bounder.dropped > 0 && bounder.admitted > 0)
    }

    /// Adding a user's records changes no other user's admissions (the caps are a per-user bound).
    @Test func anotherUsersRecordsNeverChangeADecision() {
        var rng = Self.stream(9)
        let stream = (0..<3000).map { _ in ("u\(rng.next() % 25)", Int64(rng.next() % 12)) }
        func decisions(_ records: [(String, Int64)]) -> [Bool] {
            var bounder = WindowContributionBounder(maxContributionsPerWindow: 2, maxWindowsPerUser: 4, epochWindows: 6)
            return records.map { bounder.admit(user($0.0), windows: $0.1...($0.1 + 1)) }
        }
        var withIntruder: [(String, Int64)] = []
        for (i, record) in stream.enumerated() {
            withIntruder.append(record)
            if i % 3 == 0 { withIntruder.append(("intruder", Int64(i % 12))) }
        }
        let base = decisions(stream)
        let mixed = zip(withIntruder, decisions(withIntruder)).filter { $0.0.0 != "intruder" }.map(\.1)
        #expect(base == mixed)
    }

    /// The parameters and counters are a Codable value and the people go one by one
    /// (`takeChanges()`, as the changelog's keyed entries): a state restored mid-stream from both,
    /// with the changes taken in several rounds as batches do, decides exactly as before.
    @Test func aRestoredSnapshotDecidesAsTheOriginal() throws {
        var rng = Self.stream(4)
        let stream = (0..<2000).map { _ in (user("u\(rng.next() % 30)"), Int64(rng.next() % 20)) }
        var original = WindowContributionBounder(maxContributionsPerWindow: 2, maxWindowsPerUser: 3, epochWindows: 8)
        var people: [UserFingerprint: WindowContributionBounder.UserState] = [:]
        for (index, (u, w)) in stream.prefix(1000).enumerated() {
            _ = original.admit(u, windows: w...w)
            if index % 50 == 0 { original.close(windowsBefore: w - 4) }
            if index % 97 == 0 {
                for change in original.takeChanges() { people[change.user] = change.state }
            }
        }
        for change in original.takeChanges() { people[change.user] = change.state }
        #expect(original.takeChanges().isEmpty)
        var restored = try JSONDecoder().decode(
            WindowContributionBounder.self, from: try JSONEncoder().encode(original))
        for (person, state) in people { restored.restore(person, state) }
        #expect(restored == original)
        let continued = stream.dropFirst(1000).map { original.admit($0.0, windows: $0.1...$0.1) }
        let fromSnapshot = stream.dropFirst(1000).map { restored.admit($0.0, windows: $0.1...$0.1) }
        #expect(continued == fromSnapshot && continued.contains(false) && continued.contains(true))
    }

    @Test func fingerprintsDependOnTheKeyAndTheWholeId() {
        let a = UserFingerprinter(key: Self.key)
        let b = UserFingerprinter(key: .evaluationOnly(seed: 27))
        #expect(a.fingerprint(Array("alice".utf8)) == a.fingerprint(Array("alice".utf8)))
        #expect(a.fingerprint(Array("alice".utf8)) != a.fingerprint(Array("alicf".utf8)))
        #expect(a.fingerprint(Array("alice".utf8)) != b.fingerprint(Array("alice".utf8)))
        // The stages' form (kind, ':', the id's text) is the HMAC of those bytes: state written by
        // either form names the same person.
        #expect(a.fingerprint(kind: UInt8(ascii: "s"), "alice") == a.fingerprint(Array("s:alice".utf8)))
        #expect(a.fingerprint(kind: UInt8(ascii: "n"), "42") == a.fingerprint(Array("n:42".utf8)))
        #expect(a.fingerprint(kind: UInt8(ascii: "s"), "Zoë") == a.fingerprint(Array("s:Zoë".utf8)))
    }

    /// The fingerprint is HMAC-SHA256 under the derived key, its first 16 bytes as two
    /// little-endian words: checked against swift-crypto's HMAC, so state written by earlier
    /// builds (which called it) names the same people. Ids across the 64-byte block boundary too.
    @Test func fingerprintsAreTheHMACOfTheId() {
        let fingerprinter = UserFingerprinter(key: Self.key)
        let derived = SymmetricKey(
            data: Array(HMAC<SHA256>.authenticationCode(for: Array("user-bounding\u{0}v1".utf8), using: Self.key.root)))
        for id in ["", "alice", "s:Zoë", String(repeating: "x", count: 55), String(repeating: "y", count: 64),
            String(repeating: "z", count: 200)]
        {
            let mac = Array(HMAC<SHA256>.authenticationCode(for: Array(id.utf8), using: derived))
            func word(_ offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(mac[offset + $1]) << (8 * $1) } }
            #expect(fingerprinter.fingerprint(Array(id.utf8)) == UserFingerprint(high: word(0), low: word(8)))
        }
    }

    @Test func windowCapsSetTheSensitivityAndThePerPersonBudget() throws {
        let yaml = PrivacyConfiguration(
            rho: 0.1, unit: .user, userField: "customer_id", seriesPerEvent: 6, maxContributionsPerWindow: 5,
            maxWindowsPerUser: 12)
        try yaml.validate()
        #expect(yaml.caps == .init(perWindow: 5, perSeries: 60, perUser: 360))
        #expect(yaml.contributionBound == 60)
        let guarantee = PrivacyGuarantee(configuration: yaml)
        #expect(abs(guarantee.rho - 0.6) < 1e-12 && guarantee.unit == .user)
        // K and M only with unit user; both needed.
        var event = yaml
        event.unit = .event
        #expect(throws: PrivacyError.self) { try event.validate() }
        var half = yaml
        half.maxWindowsPerUser = nil
        #expect(throws: PrivacyError.self) { try half.validate() }
    }

    @Test func capsAndWindowCapsTogetherAreRejectedWhenDecoded() throws {
        let both = #"{"unit":"user","user_field":"u","max_contributions_per_window":2,"max_windows_per_user":3,"caps":{"per_window":2}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PrivacyConfiguration.self, from: Data(both.utf8)) }
        let one = #"{"unit":"user","user_field":"u","max_contributions_per_window":2,"max_windows_per_user":3,"series_per_event":12}"#
        let decoded = try JSONDecoder().decode(PrivacyConfiguration.self, from: Data(one.utf8))
        #expect(decoded.caps == .init(perWindow: 2, perSeries: 6, perUser: 72))
    }
}

