import Crypto

/// The secret key from which all differential-privacy noise is derived.
///
/// Noise for a (series, step) pair is a pure function of this key, the series id and the step, so a
/// restarted processor re-releases exactly the values it released before and never spends privacy
/// budget twice. Anyone who holds the key can subtract the noise: keep it secret, rotate it only
/// together with the series it protects, and never log it (this type's description is redacted).
public struct NoiseKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    @usableFromInline let root: SymmetricKey

    /// The environment variable holding the key (hex of at least 32 bytes, or at least 32 characters).
    public static let environmentVariable = "STEWARD_NOISE_KEY"
    /// The environment variable naming a file that holds the key (at least 32 bytes).
    public static let fileEnvironmentVariable = "STEWARD_NOISE_KEY_FILE"

    /// Uses `material` (at least 32 bytes of secret randomness) as key material.
    public init(material: some Sequence<UInt8>) throws(PrivacyError) {
        let bytes = Array(material)
        guard bytes.count >= 32 else {
            throw PrivacyError(.noiseKey, "the noise key must hold at least 32 bytes of secret randomness")
        }
        // Domain-separate the service key from any other use of the same material.
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("steward/noise-key/v1".utf8), using: SymmetricKey(data: bytes))
        root = SymmetricKey(data: Array(mac))
    }

    /// Loads the service's key from `STEWARD_NOISE_KEY` or from the file named by
    /// `STEWARD_NOISE_KEY_FILE`; `readFile` does the I/O so this module stays pure. Errors say what
    /// is missing, never what the key is.
    public static func load(
        environment: [String: String], readFile: (String) throws -> [UInt8]
    ) throws(PrivacyError) -> NoiseKey {
        if let value = environment[environmentVariable], !value.isEmpty {
            return try NoiseKey(material: decode(Array(value.utf8)))
        }
        if let path = environment[fileEnvironmentVariable], !path.isEmpty {
            let contents: [UInt8]
            do {
                contents = try readFile(path)
            } catch {
                throw PrivacyError(.noiseKey, "cannot read the noise key file named by \(fileEnvironmentVariable)")
            }
            return try NoiseKey(material: decode(contents))
        }
        throw PrivacyError(
            .noiseKey,
            "no noise key: set \(environmentVariable) (64+ hex digits) or \(fileEnvironmentVariable) "
                + "(a file of 32+ random bytes), e.g. from `openssl rand -hex 32`")
    }

    /// A key derived from a public seed, for `steward privacy simulate` and tests only.
    ///
    /// Anyone who knows the seed can remove the noise: released values made with it are not private.
    public static func evaluationOnly(seed: UInt64) -> NoiseKey {
        var material = Array("steward/evaluation-only-seed/".utf8)
        withUnsafeBytes(of: seed.littleEndian) { material.append(contentsOf: $0) }
        let digest = SHA256.hash(data: material)
        // A SHA-256 digest is 32 bytes, so this cannot throw.
        return try! NoiseKey(material: Array(digest))
    }

    /// Hex text (64+ digits) is decoded; anything else is used as raw bytes, without a final newline.
    static func decode(_ raw: [UInt8]) -> [UInt8] {
        var bytes = raw
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.count >= 64, bytes.count % 2 == 0, let decoded = hexDecode(bytes) else { return bytes }
        return decoded
    }

    static func hexDecode(_ text: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let hi = nibble(text[i]), let lo = nibble(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// The noise source of one series (derived once per series with HMAC-SHA-256).
    public func series(_ id: String) -> SeriesNoise {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("series\u{0}\(id)".utf8), using: root)
        return SeriesNoise(keyBytes: Array(mac))
    }

    public var description: String { "NoiseKey(redacted)" }
    public var debugDescription: String { description }
}

/// The keyed noise source of one series: independent random streams for every (domain, index).
public struct SeriesNoise: Sendable {
    @usableFromInline let key0: SIMD4<UInt32>
    @usableFromInline let key1: SIMD4<UInt32>

    init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32)
        func word(_ i: Int) -> UInt32 {
            UInt32(keyBytes[4 * i]) | UInt32(keyBytes[4 * i + 1]) << 8 | UInt32(keyBytes[4 * i + 2]) << 16
                | UInt32(keyBytes[4 * i + 3]) << 24
        }
        key0 = SIMD4(word(0), word(1), word(2), word(3))
        key1 = SIMD4(word(4), word(5), word(6), word(7))
    }

    /// The stream for `index` (a step, or a tree node) within `domain` (the mechanism's use).
    @inlinable
    public func stream(domain: UInt32, index: UInt64) -> NoiseStream {
        NoiseStream(
            block: ChaCha20Block(
                key0: key0, key1: key1,
                nonce: SIMD3(domain, UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32))))
    }
}

/// A deterministic stream of uniform 64-bit words (ChaCha20 keystream blocks 0, 1, 2, ...) and of
/// single bits (taken, lowest first, from words of the same stream).
public struct NoiseStream: Sendable {
    @usableFromInline let block: ChaCha20Block
    @usableFromInline var counter: UInt32 = 0
    @usableFromInline var buffer = SIMD16<UInt32>()
    @usableFromInline var used = 8
    /// Unused bits of the last word drawn for `bit()`, and how many remain.
    @usableFromInline var bits: UInt64 = 0
    @usableFromInline var bitsLeft = 0

    @usableFromInline
    init(block: ChaCha20Block) { self.block = block }

    /// The next uniform 64-bit word.
    @inlinable
    public mutating func next() -> UInt64 {
        if used == 8 {
            buffer = block.block(counter: counter)
            counter &+= 1
            used = 0
        }
        let word = UInt64(buffer[2 * used]) | UInt64(buffer[2 * used + 1]) << 32
        used += 1
        return word
    }

    /// The next uniform bit (a sampler spends most of its randomness on bits, not words).
    @inlinable
    public mutating func bit() -> Bool {
        if bitsLeft == 0 {
            bits = next()
            bitsLeft = 64
        }
        let value = bits & 1 == 1
        bits >>= 1
        bitsLeft -= 1
        return value
    }
}
