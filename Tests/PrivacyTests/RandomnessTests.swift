import Crypto
import Foundation
import Testing

@testable import Privacy

@Suite struct RandomnessTests {
    @Test func chacha20MatchesRFC8439BlockVector() {
        // RFC 8439 section 2.3.2: key 00..1f, nonce 000000090000004a00000000, counter 1.
        var keyWords: [UInt32] = []
        for i in 0..<8 {
            let b = (0..<4).map { UInt32(4 * i + $0) }
            keyWords.append(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24)
        }
        let block = ChaCha20Block(
            key0: SIMD4(keyWords[0], keyWords[1], keyWords[2], keyWords[3]),
            key1: SIMD4(keyWords[4], keyWords[5], keyWords[6], keyWords[7]),
            nonce: SIMD3(0x0900_0000, 0x4a00_0000, 0))
        let expected: [UInt32] = [
            0xe4e7_f110, 0x1559_3bd1, 0x1fdd_0f50, 0xc471_20a3, 0xc7f4_d1c7, 0x0368_c033, 0x9aaa_2204, 0x4e6c_d4c3,
            0x4664_82d2, 0x09aa_9f07, 0x05d7_c214, 0xa202_8bd9, 0xd19c_12b5, 0xb94e_16de, 0xe883_d0cb, 0x4e3c_50a2,
        ]
        let out = block.block(counter: 1)
        #expect((0..<16).map { out[$0] } == expected)
    }

    @Test func keystreamEqualsSwiftCryptoChaCha20() throws {
        // ChaChaPoly encrypts with the ChaCha20 keystream from block counter 1 onwards, so the
        // ciphertext of zeros is that keystream.
        let keyBytes = (0..<32).map { UInt8(($0 * 7 + 3) & 0xff) }
        let nonceBytes: [UInt8] = [1, 0, 0, 0, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]
        let sealed = try ChaChaPoly.seal(
            [UInt8](repeating: 0, count: 128), using: SymmetricKey(data: keyBytes),
            nonce: ChaChaPoly.Nonce(data: nonceBytes))
        let noise = SeriesNoise(keyBytes: keyBytes)
        var stream = noise.stream(domain: 1, index: 0x0123_4567_89ab_cdef)
        var ours: [UInt8] = []
        for _ in 0..<(8 + 16) {
            let word = stream.next()
            for b in 0..<8 { ours.append(UInt8(truncatingIfNeeded: word >> (8 * b))) }
        }
        // Our stream starts at block 0; swift-crypto's at block 1.
        #expect(Array(ours[64..<192]) == Array(sealed.ciphertext))
    }

    @Test func bitsAreTheKeystreamWordsLowestBitFirst() {
        let noise = NoiseKey.evaluationOnly(seed: 3).series("bits")
        var words = noise.stream(domain: 4, index: 9)
        var bits = noise.stream(domain: 4, index: 9)
        for _ in 0..<20 {
            let word = words.next()
            var rebuilt: UInt64 = 0
            for b in 0..<64 where bits.bit() { rebuilt |= 1 << UInt64(b) }
            #expect(rebuilt == word)
        }
    }

    @Test func bitwiseBernoulliHasTheExactMeanAndSpendsTwoBits() {
        var stream = NoiseKey.evaluationOnly(seed: 4).series("bernoulli").stream(domain: 1, index: 0)
        let n = 200_000
        // Denominators of 2, 64 and 127 bits (the last overflows if doubled).
        let cases: [(UInt128, UInt128)] = [(1, 3), (5, 7), ((1 << 60) / 3, 1 << 63), (UInt128.max / 5, UInt128.max / 2)]
        for (numerator, denominator) in cases {
            let before = stream.counter * 8 - UInt32(8 - stream.used)
            var hits = 0
            for _ in 0..<n where stream.bernoulli(numerator, over: denominator) { hits += 1 }
            let words = Double(stream.counter * 8 - UInt32(8 - stream.used) - before)
            let p = Double(numerator) / Double(denominator)
            let sd = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(hits) / Double(n) - p) < 5 * sd, "\(numerator)/\(denominator)")
            // Two bits per trial on average: n/32 words, give or take a few percent.
            #expect(abs(words * 64 / Double(n) - 2) < 0.05)
        }
        var certain = 0
        for _ in 0..<1000 where stream.bernoulli(UInt64(9), over: 9) { certain += 1 }
        #expect(certain == 1000)
        var never = 0
        for _ in 0..<1000 where stream.bernoulli(UInt64(0), over: 9) { never += 1 }
        #expect(never == 0)
    }

    @Test func noiseIsAPureFunctionOfKeySeriesAndStep() {
        let a = NoiseKey.evaluationOnly(seed: 7)
        let b = NoiseKey.evaluationOnly(seed: 7)
        let c = NoiseKey.evaluationOnly(seed: 8)
        func words(_ key: NoiseKey, _ series: String, _ step: UInt64) -> [UInt64] {
            var s = key.series(series).stream(domain: 2, index: step)
            return (0..<20).map { _ in s.next() }
        }
        #expect(words(a, "s", 5) == words(b, "s", 5))
        #expect(words(a, "s", 5) != words(a, "s", 6))
        #expect(words(a, "s", 5) != words(a, "t", 5))
        #expect(words(a, "s", 5) != words(c, "s", 5))
    }

    @Test func keyLoadingReportsWhatIsMissingWithoutTheKey() throws {
        #expect(throws: PrivacyError.self) { try NoiseKey.load(environment: [:], readFile: readFile) }
        #expect(throws: PrivacyError.self) { try NoiseKey.load(environment: ["STEWARD_NOISE_KEY": "short"], readFile: readFile) }
        let hex = String(repeating: "ab", count: 32)
        let key = try NoiseKey.load(environment: ["STEWARD_NOISE_KEY": hex], readFile: readFile)
        #expect(!"\(key)".contains("ab"))
        let error = #expect(throws: PrivacyError.self) {
            try NoiseKey.load(environment: ["STEWARD_NOISE_KEY": "0123456789"], readFile: readFile)
        }
        #expect(error.map { !$0.message.contains("0123456789") } == true)
        #expect(throws: PrivacyError.self) { try NoiseKey.load(environment: ["STEWARD_NOISE_KEY_FILE": "/nonexistent/key"], readFile: readFile) }
    }
}

/// The tests' file reader for the engines' I/O seam.
func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
    return Array(data)
}
