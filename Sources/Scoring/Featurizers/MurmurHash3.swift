/// MurmurHash3 x86 32-bit (Austin Appleby's public-domain algorithm), as scikit-learn's
/// `murmurhash3_32(key, seed, positive=False)` computes it over a UTF-8 key.
public enum MurmurHash3 {
    /// The signed 32-bit hash of `bytes` with `seed`, equal to scikit-learn's `murmurhash3_32`.
    @inlinable
    public static func hash32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> Int32 {
        let count = bytes.count
        var h1 = seed
        let whole = count & ~3
        var offset = 0
        while offset < whole {
            h1 = mixBlock(h1, bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
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
        if count & 3 != 0 { h1 ^= scramble(k1) }
        return finish(h1, count: count)
    }

    /// `hash32(bytes, seed: 0)` of the `count` bytes at `start`, with the last partial block read
    /// as one masked load instead of a switch on its length: the caller guarantees that 8 bytes
    /// past the end are readable.
    ///
    /// Keys of up to 8 bytes (most words) take no branch on their length. They are one masked
    /// 8-byte load, two blocks `k1`, `k2` (zero past the key), and with `s = scramble`:
    /// 0–3 bytes hash `s(k1)`; 4–7 bytes `mix(0, k1) ^ s(k2)` (`s(0) = 0` covers 4); 8 bytes
    /// `mix(mix(0, k1), k2)`, which is the 4–7 value rotated and stepped once more. Two scrambles
    /// instead of three, and the choices are selections the compiler makes without branches.
    @inline(__always)
    static func hash32(overreading start: UnsafeRawPointer, count: Int) -> Int32 {
        var h1: UInt32
        if count <= 8 {
            let key = maskedKey(start, count: count)
            let s1 = scramble(UInt32(truncatingIfNeeded: key))
            let s2 = scramble(UInt32(truncatingIfNeeded: key >> 32))
            let fourToSeven = step(rotate(s1)) ^ s2
            let upToSeven = count < 4 ? s1 : fourToSeven
            // All ones for 8 bytes, else zero (count ^ 8 is 0 only then): the compiler would branch on `==`.
            let isEight = 0 &- UInt32(truncatingIfNeeded: UInt64(truncatingIfNeeded: (count ^ 8) &- 1) >> 63)
            h1 = (step(rotate(fourToSeven)) & isEight) | (upToSeven & ~isEight)
        } else {
            h1 = 0
            let whole = count & ~3
            var offset = 0
            while offset < whole {
                h1 = mixBlock(h1, start.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                offset += 4
            }
            // With no tail bytes the mask is 0, and scrambling 0 gives 0: h1 is unchanged, as if skipped.
            let mask = UInt32(truncatingIfNeeded: (UInt64(1) << (8 * UInt64(count & 3))) &- 1)
            h1 ^= scramble(start.loadUnaligned(fromByteOffset: whole, as: UInt32.self).littleEndian & mask)
        }
        return finish(h1, count: count)
    }

    /// `hash32(overreading:count:)` of four keys at once, one per lane, for keys of up to 8 bytes:
    /// key `j` is the bytes `base + starts[j] ..< base + ends[j]`, with 8 bytes readable past it. A
    /// lane whose key is longer than 8 bytes holds a meaningless value (the caller hashes those keys
    /// alone).
    ///
    /// The same steps as the scalar path, on 32-bit lanes: with SSE4.1 (the x86-64-v2 build) each
    /// multiply is one `pmulld` for four keys instead of four turns at the one scalar multiplier; on
    /// plain SSE2 the compiler does the lanes one at a time.
    @inline(__always)
    static func hash32x4(
        overreading base: UnsafeRawPointer, starts: UnsafePointer<Int>, ends: UnsafePointer<Int>
    ) -> SIMD4<UInt32> {
        // Lane shifts by a different count each need AVX2: each key is masked alone, as in the scalar path.
        let c0 = ends[0] &- starts[0], c1 = ends[1] &- starts[1]
        let c2 = ends[2] &- starts[2], c3 = ends[3] &- starts[3]
        let keys = SIMD4<UInt64>(
            maskedKey(base + starts[0], count: c0), maskedKey(base + starts[1], count: c1),
            maskedKey(base + starts[2], count: c2), maskedKey(base + starts[3], count: c3))
        let lengths = SIMD4<Int32>(
            Int32(truncatingIfNeeded: c0), Int32(truncatingIfNeeded: c1),
            Int32(truncatingIfNeeded: c2), Int32(truncatingIfNeeded: c3))
        let s1 = scramble(SIMD4<UInt32>(truncatingIfNeeded: keys))
        let s2 = scramble(SIMD4<UInt32>(truncatingIfNeeded: keys &>> 32))
        let fourToSeven = step(rotate(s1)) ^ s2
        var h = s1.replacing(with: fourToSeven, where: lengths .>= 4)
        h.replace(with: step(rotate(fourToSeven)), where: lengths .== 8)
        h ^= SIMD4<UInt32>(truncatingIfNeeded: lengths)
        h ^= h &>> 16
        h &*= 0x85eb_ca6b
        h ^= h &>> 13
        h &*= 0xc2b2_ae35
        h ^= h &>> 16
        return h
    }

    /// The first `count` (at most 8) bytes at `start` as a little-endian word, zero above: all ones
    /// shifted out in two steps (8 bytes shift by 64 in all), and nothing for an empty key. Shifts
    /// and masks, no branch on the length.
    @inline(__always)
    static func maskedKey(_ start: UnsafeRawPointer, count: Int) -> UInt64 {
        let bits = UInt64(truncatingIfNeeded: 8 &* count &- 1)
        let nonEmpty = 0 &- UInt64(truncatingIfNeeded: (count &+ 63) >> 6)  // all ones when count > 0
        return start.loadUnaligned(as: UInt64.self).littleEndian & ~((UInt64.max &<< bits) &<< 1) & nonEmpty
    }

    @inline(__always)
    static func scramble(_ k: SIMD4<UInt32>) -> SIMD4<UInt32> {
        let k1 = k &* 0xcc9e_2d51
        return ((k1 &<< 15) | (k1 &>> 17)) &* 0x1b87_3593
    }

    @inline(__always)
    static func rotate(_ h: SIMD4<UInt32>) -> SIMD4<UInt32> { (h &<< 13) | (h &>> 19) }

    @inline(__always)
    static func step(_ h: SIMD4<UInt32>) -> SIMD4<UInt32> { h &* 5 &+ 0xe654_6b64 }

    @inlinable @inline(__always)
    static func scramble(_ k: UInt32) -> UInt32 {
        var k1 = k &* 0xcc9e_2d51
        k1 = (k1 << 15) | (k1 >> 17)
        return k1 &* 0x1b87_3593
    }

    @inlinable @inline(__always)
    static func mixBlock(_ h: UInt32, _ k: UInt32) -> UInt32 {
        step(rotate(h ^ scramble(k)))
    }

    @inlinable @inline(__always)
    static func rotate(_ h: UInt32) -> UInt32 { (h << 13) | (h >> 19) }

    @inlinable @inline(__always)
    static func step(_ h: UInt32) -> UInt32 { h &* 5 &+ 0xe654_6b64 }

    @inlinable @inline(__always)
    static func finish(_ h: UInt32, count: Int) -> Int32 {
        var h1 = h ^ UInt32(truncatingIfNeeded: count)
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

/// Where scikit-learn's hashers put a hashed feature and with which sign
/// (`sklearn.feature_extraction._hashing_fast.transform`): `abs(h) % n_features`, sign from the
/// hash's sign when `alternate_sign`. A mask instead of a division when the block's size is a power
/// of two (the usual `n_features`), a 32-bit division otherwise.
struct SlotHashing {
    let featureCount: Int
    let mask: UInt32
    let isPowerOfTwo: Bool
    let fitsUInt32: Bool
    let alternateSign: Bool

    init(featureCount: Int, alternateSign: Bool) {
        self.featureCount = featureCount
        isPowerOfTwo = featureCount > 0 && featureCount & (featureCount - 1) == 0 && featureCount <= 1 << 31
        mask = isPowerOfTwo ? UInt32(featureCount - 1) : 0
        fitsUInt32 = featureCount <= Int(UInt32.max)
        self.alternateSign = alternateSign
    }

    /// `abs(h) % n_features`, with `abs(INT32_MIN)` taken as 2^31.
    @inline(__always)
    func index(_ hash: Int32) -> Int {
        let magnitude = hash.magnitude
        if isPowerOfTwo { return Int(magnitude & mask) }
        if fitsUInt32 { return Int(magnitude % UInt32(truncatingIfNeeded: featureCount)) }
        return Int(magnitude)
    }

    @inline(__always)
    func sign(_ hash: Int32) -> Double { alternateSign && hash < 0 ? -1 : 1 }

    /// Adds ±1 at the slot of each of the `count` hashes, at `offset` and after, in order. For a
    /// power-of-two `n_features` (the usual case) the slot is `|h| & mask` and the ±1 is built from
    /// the hash's sign bit: no division and no branch per hash on the slot rule.
    @inline(__always)
    func add(_ hashes: UnsafePointer<Int32>, count: Int, offset: Int, to writer: inout SparseWriter) {
        if isPowerOfTwo {
            let signBit: UInt32 = alternateSign ? 0x8000_0000 : 0
            for k in 0..<count {
                let h = hashes[k]
                let sign = UInt64(UInt32(bitPattern: h) & signBit) << 32
                writer.add(offset &+ Int(h.magnitude & mask), Double(bitPattern: 0x3FF0_0000_0000_0000 | sign))
            }
        } else {
            for k in 0..<count { writer.add(offset &+ index(hashes[k]), sign(hashes[k])) }
        }
    }
}
