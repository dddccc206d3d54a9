/// The ChaCha20 block function (RFC 8439, section 2.3), used as a counter-mode keystream.
///
/// Keys come from swift-crypto (HMAC-SHA-256 of the secret noise key); this type only expands a
/// 256-bit key and 96-bit nonce into pseudorandom 64-byte blocks. Tests pin it to RFC 8439's
/// vector and to swift-crypto's own ChaCha20 keystream.
@usableFromInline
struct ChaCha20Block: Sendable {
    @usableFromInline let key0: SIMD4<UInt32>
    @usableFromInline let key1: SIMD4<UInt32>
    @usableFromInline let nonce: SIMD3<UInt32>

    @usableFromInline
    init(key0: SIMD4<UInt32>, key1: SIMD4<UInt32>, nonce: SIMD3<UInt32>) {
        self.key0 = key0
        self.key1 = key1
        self.nonce = nonce
    }


    @inlinable @inline(__always)
    static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a &+= b
        d ^= a
        d = d << 16 | d >> 16
        c &+= d
        b ^= c
        b = b << 12 | b >> 20
        a &+= b
        d ^= a
        d = d << 8 | d >> 24
        c &+= d
        b ^= c
        b = b << 7 | b >> 25
    }

    /// The 16 output words of block `counter`, in keystream order. Scalar code: it is as fast as
    /// SIMD when optimised and far faster in debug builds.
    @inlinable
    func block(counter: UInt32) -> SIMD16<UInt32> {
        let (k0, k1, k2, k3) = (key0[0], key0[1], key0[2], key0[3])
        let (k4, k5, k6, k7) = (key1[0], key1[1], key1[2], key1[3])
        let (n0, n1, n2) = (nonce[0], nonce[1], nonce[2])
        var (x0, x1, x2, x3): (UInt32, UInt32, UInt32, UInt32) = (0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574)
        var (x4, x5, x6, x7) = (k0, k1, k2, k3)
        var (x8, x9, x10, x11) = (k4, k5, k6, k7)
        var (x12, x13, x14, x15) = (counter, n0, n1, n2)
        for _ in 0..<10 {
            Self.quarterRound(&x0, &x4, &x8, &x12)
            Self.quarterRound(&x1, &x5, &x9, &x13)
            Self.quarterRound(&x2, &x6, &x10, &x14)
            Self.quarterRound(&x3, &x7, &x11, &x15)
            Self.quarterRound(&x0, &x5, &x10, &x15)
            Self.quarterRound(&x1, &x6, &x11, &x12)
            Self.quarterRound(&x2, &x7, &x8, &x13)
            Self.quarterRound(&x3, &x4, &x9, &x14)
        }
        return SIMD16(
            x0 &+ 0x6170_7865, x1 &+ 0x3320_646e, x2 &+ 0x7962_2d32, x3 &+ 0x6b20_6574,
            x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3, x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7,
            x12 &+ counter, x13 &+ n0, x14 &+ n1, x15 &+ n2)
    }
}
