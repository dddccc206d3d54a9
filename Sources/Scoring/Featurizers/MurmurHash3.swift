/// MurmurHash3 x86 32-bit (Austin Appleby's public-domain algorithm), as scikit-learn's
/// `murmurhash3_32(key, seed, positive=False)` computes it over a UTF-8 key.
public enum MurmurHash3 {
    /// The signed 32-bit hash of `bytes` with `seed`, equal to scikit-learn's `murmurhash3_32`.
    @inlinable
    public static func hash32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> Int32 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        let count = bytes.count
        var h1 = seed
        let blocks = count / 4
        var offset = 0
        for _ in 0..<blocks {
            var k1 = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            k1 &*= c1
            k1 = (k1 << 15) | (k1 >> 17)
            k1 &*= c2
            h1 ^= k1
            h1 = (h1 << 13) | (h1 >> 19)
            h1 = h1 &* 5 &+ 0xe654_6b64
            offset += 4
        }
        var k1: UInt32 = 0
        switch count & 3 {
        case 3:
            k1 ^= UInt32(bytes[offset + 2]) << 16
            k1 ^= UInt32(bytes[offset + 1]) << 8
            k1 ^= UInt32(bytes[offset])
        case 2:
            k1 ^= UInt32(bytes[offset + 1]) << 8
            k1 ^= UInt32(bytes[offset])
        case 1:
            k1 ^= UInt32(bytes[offset])
        default:
            break
        }
        if count & 3 != 0 {
            k1 &*= c1
            k1 = (k1 << 15) | (k1 >> 17)
            k1 &*= c2
            h1 ^= k1
        }
        h1 ^= UInt32(truncatingIfNeeded: count)
        h1 ^= h1 >> 16
        h1 &*= 0x85eb_ca6b
        h1 ^= h1 >> 13
        h1 &*= 0xc2b2_ae35
        h1 ^= h1 >> 16
        return Int32(bitPattern: h1)
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash32(_ text: String, seed: UInt32 = 0) -> Int32 {
        var copy = text
        return copy.withUTF8 { hash32(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

/// Where scikit-learn's `FeatureHasher` puts a hashed feature and with which sign.
@usableFromInline
struct HashedSlot {
    @usableFromInline var index: Int
    @usableFromInline var sign: Double

    /// `abs(h) % n_features` (with `abs(INT32_MIN)` taken as 2^31), sign from the hash's sign when
    /// `alternateSign`, as `sklearn.feature_extraction._hashing_fast.transform` does.
    @inlinable
    init(hash: Int32, featureCount: Int, alternateSign: Bool) {
        index = Int(Int64(hash).magnitude % UInt64(featureCount))
        sign = alternateSign && hash < 0 ? -1 : 1
    }
}
