import Testing

@testable import Redaction

/// The gazetteer index the scanner reads: the Bloom filter in front of it must never turn away a key
/// that means something, and the scanner's shortcuts must hash and measure words as the table does.
@Suite struct WordIndexTests {
    static let table = Gazetteer.build(policy: .default)
    static let index = WordIndex(table)

    /// Every built-in key that carries more than the stop flag gets through the filter, and
    /// `lookupMeaningful` then returns exactly what `lookup` returns for it (no false negatives).
    @Test func bloomFilterKeepsEveryMeaningfulKey() {
        let parts = Self.table.parts()
        var meaningful = 0
        for k in 0..<parts.values.count where parts.values[k] & ~WordFlags.stop.rawValue != 0 {
            meaningful += 1
            let start = Int(parts.keyStart[k])
            let key = Array(parts.arena[start..<start + Int(parts.keyLength[k])])
            key.withUnsafeBufferPointer { b in
                #expect(Self.index.mayBeMeaningful(WordTable.hash(b.baseAddress!, b.count)))
                #expect(Self.index.lookupMeaningful(b.baseAddress!, b.count) == parts.values[k])
            }
        }
        #expect(meaningful > 9_000)
    }

    /// Few other words get through: of 5,000 random capitalised letter strings (almost none of them
    /// gazetteer keys), under 3 % pass the filter.
    @Test func bloomFilterTurnsAwayMostOtherWords() {
        var g = Gen(s: 5)
        var passed = 0
        for _ in 0..<5_000 {
            var w: [UInt8] = [UInt8(65 + g.int(26))]
            for _ in 0..<(2 + g.int(8)) { w.append(UInt8(97 + g.int(26))) }
            w.withUnsafeBufferPointer { b in
                if Self.index.mayBeMeaningful(WordTable.hash(b.baseAddress!, b.count)) { passed += 1 }
            }
        }
        #expect(passed < 150, "\(passed) of 5000 passed")
    }

    /// `hashShort` (from one 8-byte load) equals `hash` (from loads of the word's bytes) for every
    /// length it is used for, whatever bytes follow the word in the load.
    @Test(.enabled(if: 1.littleEndian == 1)) func shortHashEqualsTableHash() {
        var g = Gen(s: 11)
        for _ in 0..<20_000 {
            let len = 1 + g.int(7)
            var bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: g.int(256)) }
            for k in 0..<len { bytes[k] = UInt8(65 + g.int(58)) }
            let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let expected = bytes.withUnsafeBufferPointer { WordTable.hash($0.baseAddress!, len) }
            #expect(WordTable.hashShort(UInt64(littleEndian: w), len) == expected)
        }
    }

    /// Checks a run counter over eight bytes against a byte loop, for every byte value in every
    /// position, the other bytes drawn from `member` (and now and then one more random byte).
    static func checkRunCounter(_ run: (UInt64) -> Int, seed: UInt64, member: ClosedRange<UInt8>...,
                                isMember: (UInt8) -> Bool) {
        var g = Gen(s: seed)
        for position in 0..<8 {
            for value in 0..<256 {
                var bytes = (0..<8).map { _ -> UInt8 in
                    let r = member[g.int(member.count)]
                    return r.lowerBound + UInt8(g.int(Int(r.upperBound - r.lowerBound) + 1))
                }
                bytes[position] = UInt8(value)
                if g.int(3) == 0 { bytes[min(7, position + 1 + g.int(7))] = UInt8(truncatingIfNeeded: g.int(256)) }
                let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(run(UInt64(littleEndian: w)) == (bytes.firstIndex { !isMember($0) } ?? 8), "bytes \(bytes)")
            }
        }
    }

    /// `letterRun` counts the leading ASCII letters of eight bytes, as a byte loop does.
    @Test func letterRunMatchesByteLoop() {
        Self.checkRunCounter(Scanner.letterRun, seed: 3, member: 65...90, 97...122) {
            ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122)
        }
    }

    /// `digitRun` counts the leading ASCII digits of eight bytes as a byte loop does; `digitsEnd` finds
    /// the end of every digit run of a buffer, near its end too.
    @Test func digitRunMatchesByteLoop() {
        Self.checkRunCounter(Scanner.digitRun, seed: 5, member: 48...57) { $0 >= 48 && $0 <= 57 }
        func reference(_ bytes: ArraySlice<UInt8>) -> Int {
            (bytes.firstIndex { $0 < 48 || $0 > 57 } ?? bytes.endIndex) - bytes.startIndex
        }
        var g = Gen(s: 6)
        for _ in 0..<2_000 {
            let bytes: [UInt8] = (0..<(1 + g.int(40))).map { _ in
                g.int(4) == 0 ? UInt8(truncatingIfNeeded: g.int(256)) : UInt8(48 + g.int(10))
            }
            bytes.withUnsafeBufferPointer { b in
                Fixtures.redactor.withScanner(b.baseAddress!, b.count) { scanner in
                    for j in 0..<b.count {
                        #expect(scanner.digitsEnd(j) == j + reference(bytes[j...]))
                    }
                }
            }
        }
    }

    /// Sentence starts that are stop words only — among them some that the filter lets through —
    /// are passed over without hiding a name or place after them.
    @Test func stopWordSentenceStartsDoNotHideNames() {
        let r = Fixtures.redactor
        for start in ["The", "What", "Great", "Hey", "Email", "Still", "Can", "I"] {
            let text = "ok. \(start) thing is, hi Maria Garcia, see you in Berlin soon, \(start) end"
            let found = hits(text, r).map(\.0)
            #expect(found.contains("PERSON"), "\(start): \(found)")
            #expect(found.contains("LOCATION"), "\(start): \(found)")
        }
    }
}
