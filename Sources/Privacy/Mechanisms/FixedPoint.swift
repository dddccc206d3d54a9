/// Fixed-point arithmetic for applying real factorization coefficients to integers exactly.
///
/// Data and noise live on the grid 2^-gridBits; coefficients in (−2, 2) are dyadic rationals with
/// `coefficientBits` fractional bits. Every operation is integer arithmetic with a defined
/// rounding (floor), so the released values are a deterministic function of the integer inputs.
@usableFromInline
enum FixedPoint {
    /// Fractional bits of the data/noise grid.
    @usableFromInline static let gridBits = 40
    @usableFromInline static let gridScale = Int128(1) << 40
    /// Fractional bits of coefficients.
    @usableFromInline static let coefficientBits = 62

    /// The coefficient nearest to `value` (|value| < 2), as an integer numerator over 2^62.
    static func coefficient(_ value: Double) -> Int64 {
        precondition(abs(value) < 2)
        return Int64((value * 0x1p62).rounded())
    }

    /// `value` as the nearest-enough Double without the generic (slow) conversion path.
    @inlinable @inline(__always)
    static func double(_ value: Int128) -> Double {
        let high = Int64(truncatingIfNeeded: value >> 64)
        let low = UInt64(truncatingIfNeeded: value)
        return Double(high) * 0x1p64 + Double(low)
    }

    /// ⌊a · c / 2^62⌋ exactly, for a result that fits in 128 bits.
    ///
    /// With a = high · 2^64 + low (low unsigned), a · c = high · c · 2^64 + low · c; both partial
    /// products fit in 128 bits, and the first is a multiple of 2^62, so only the second is floored.
    /// (Two 64 × 64 products instead of a 256-bit one.)
    @inlinable @inline(__always)
    static func multiply(_ a: Int128, by c: Int64) -> Int128 {
        let high = Int128(Int64(truncatingIfNeeded: a >> 64)) &* Int128(c)
        let low = Int128(UInt64(truncatingIfNeeded: a)) &* Int128(c)
        return (high &<< 2) &+ (low >> 62)
    }
}
