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

    @usableFromInline static let constants = SIMD4<UInt32>(0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574)

    @inline(__always)
    static func rotate(_ x: SIMD4<UInt32>, _ n: UInt32) -> SIMD4<UInt32> {
        (x &<< SIMD4(repeating: n)) | (x &>> SIMD4(repeating: 32 - n))
    }

    @inline(__always)
    static func quarterRounds(
        _ a: inout SIMD4<UInt32>, _ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>
    ) {
        a &+= b
        d = rotate(d ^ a, 16)
        c &+= d
        b = rotate(b ^ c, 12)
        a &+= b
        d = rotate(d ^ a, 8)
        c &+= d
        b = rotate(b ^ c, 7)
    }

    /// The 16 output words of block `counter`, in keystream order.
    @usableFromInline
    func block(counter: UInt32) -> SIMD16<UInt32> {
        let initial3 = SIMD4<UInt32>(counter, nonce[0], nonce[1], nonce[2])
        var a = Self.constants
        var b = key0
        var c = key1
        var d = initial3
        for _ in 0..<10 {
            Self.quarterRounds(&a, &b, &c, &d)
            // Diagonal round: rotate rows so diagonals line up as columns.
            b = SIMD4(b[1], b[2], b[3], b[0])
            c = SIMD4(c[2], c[3], c[0], c[1])
            d = SIMD4(d[3], d[0], d[1], d[2])
            Self.quarterRounds(&a, &b, &c, &d)
            b = SIMD4(b[3], b[0], b[1], b[2])
            c = SIMD4(c[2], c[3], c[0], c[1])
            d = SIMD4(d[1], d[2], d[3], d[0])
        }
        a &+= Self.constants
        b &+= key0
        c &+= key1
        d &+= initial3
        return SIMD16(lowHalf: SIMD8(lowHalf: a, highHalf: b), highHalf: SIMD8(lowHalf: c, highHalf: d))
    }
}
