import Testing

@testable import Redaction

/// The main loop's vector stop test: the sixty-four-byte classifier (SSSE3 nibble look-ups on x86-64-v2
/// builds) must find exactly the stops of the sixteen-byte compares that the tail and the reference loop use.
@Suite struct ByteClassTests {
    /// Random buffers over every byte value, and over the bytes the rules distinguish (range ends,
    /// `.` next to letters and digits, lead bytes) so that dots fall on window and block edges often.
    @Test func sixtyFourByteClassifierMatchesSixteenByteCompares() {
        var rng = SystemRandomNumberGenerator()
        let edges: [UInt8] = [0x2D, 0x2E, 0x28, 0x2B, 0x2F, 0x30, 0x39, 0x3A, 0x3B, 0x3F, 0x40, 0x41, 0x4F, 0x50,
                              0x5A, 0x5B, 0x60, 0x61, 0x6F, 0x70, 0x7A, 0x7B, 0x20, 0x7F, 0x80, 0xBF, 0xC0, 0xFF]
        for round in 0..<4_000 {
            let bytes: [UInt8] = (0..<65).map { _ in
                round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : edges.randomElement(using: &rng)!
            }
            bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress!
                let four = TriggerVector.bits(p) | TriggerVector.bits(p + 16) &<< 16 | TriggerVector.bits(p + 32) &<< 32
                    | TriggerVector.bits(p + 48) &<< 48
                #expect(TriggerVector.block64(p, next: bytes[64]) == four, "bytes \(bytes)")
            }
        }
    }

    /// Each byte value against the documented stop set, alone and before every byte value (the `.` rule).
    @Test func everyBytePairStopsAsDocumented() {
        for a in 0...255 {
            for b in 0...255 {
                var bytes = [UInt8](repeating: 0x20, count: 65)
                bytes[63] = UInt8(a)
                let next = UInt8(b)
                let stop = bytes.withUnsafeBytes { TriggerVector.block64($0.baseAddress!, next: next) } >> 63 == 1
                let expected = TriggerVector.covers(UInt8(a)) && (a != 0x2E || ByteClass.isASCIIAlnum(next))
                if stop != expected { Issue.record("byte \(a) before \(b): stop \(stop), expected \(expected)") }
            }
        }
    }

    /// `Scanner.stopBits` at every position of inputs of 17 to 300 bytes (full blocks, the last block
    /// read overlapping the one before, short inputs' windows) against the documented stop of each
    /// byte; the last byte stops when the trigger table says so.
    @Test func stopBitsMatchDocumentedStopsAtEveryOffset() {
        var rng = SystemRandomNumberGenerator()
        let text = Array("Hi Anna, mail a.b@x.io or call +1 (415) 555-0100. v2.0 ok. É. ".utf8)
        let redactor = Fixtures.redactor
        for round in 0..<600 {
            let n = 17 + round % 284
            let bytes: [UInt8] = (0..<n).map { _ in
                round % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : text.randomElement(using: &rng)!
            }
            bytes.withUnsafeBufferPointer { buf in
                redactor.withScanner(buf.baseAddress!, n) { scanner in
                    for b in 0..<n {
                        var expected: UInt64 = 0
                        for k in b..<min(b + 64, n) {
                            let stop = k == n - 1
                                ? redactor.config.trigger[Int(bytes[k])] != 0
                                : TriggerVector.covers(bytes[k]) && (bytes[k] != 0x2E || ByteClass.isASCIIAlnum(bytes[k + 1]))
                            if stop { expected |= 1 << UInt64(k - b) }
                        }
                        let got = scanner.stopBits(b)
                        if got != expected { Issue.record("n \(n), block at \(b): \(got) != \(expected)") }
                    }
                }
            }
        }
    }
}
