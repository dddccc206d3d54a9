/// Exact uniform integers and Bernoulli trials with rational probabilities, drawn from a
/// `NoiseStream`. No floating point is involved anywhere in sampling.
extension NoiseStream {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject; exact).
    @inlinable
    mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// True with probability `numerator / denominator` (requires numerator <= denominator), exactly.
    ///
    /// Compares a uniform binary fraction 0.b₁b₂… with the binary expansion of the ratio, one bit of
    /// each at a time, and stops at the first difference: two random bits on average, whatever the
    /// size of the denominator (a uniform integer below it would cost one or more 64-bit words).
    @inlinable @inline(__always)
    mutating func bernoulli<T: FixedWidthInteger & UnsignedInteger>(_ numerator: T, over denominator: T) -> Bool {
        precondition(numerator <= denominator && denominator > 0)
        var remainder = numerator
        // The bit buffer lives in registers for the loop.
        var word = bits
        var left = bitsLeft
        defer {
            bits = word
            bitsLeft = left
        }
        while true {
            if left == 0 {
                word = next()
                left = 64
            }
            // Next bit of the expansion: 2·remainder ≥ denominator, without overflowing.
            let complement = denominator &- remainder
            let expansionBit = remainder >= complement
            remainder = expansionBit ? remainder &- complement : remainder &+ remainder
            let randomBit = word & 1 == 1
            word &>>= 1
            left &-= 1
            if randomBit != expansionBit { return expansionBit }
        }
    }

    /// True with probability exp(-numerator/denominator) for a ratio in [0, 1]
    /// (Canonne, Kamath, Steinke 2020, Algorithm 1). Nil if an intermediate would overflow
    /// (only after more than 2^60 / denominator rounds: probability far below 2^-100).
    @inlinable
    mutating func bernoulliExpUnit(_ numerator: UInt128, over denominator: UInt128) -> Bool? {
        var k: UInt128 = 1
        while true {
            let (scaled, overflow) = denominator.multipliedReportingOverflow(by: k)
            if overflow { return nil }
            if !bernoulli(numerator, over: scaled) { return k & 1 == 1 }
            k += 1
        }
    }

    /// True with probability exp(-1).
    @inlinable
    mutating func bernoulliExpMinusOne() -> Bool {
        // Algorithm 1 with gamma = 1: continue while a Bernoulli(1/k) trial succeeds. The first
        // trial, Bernoulli(1/1), always does.
        var k: UInt64 = 2
        while bernoulli(1, over: k) { k += 1 }
        return k & 1 == 1
    }

    /// True with probability exp(-numerator/denominator) for any ratio >= 0. Nil on overflow.
    @inlinable
    mutating func bernoulliExp(_ numerator: UInt128, over denominator: UInt128) -> Bool? {
        var whole = numerator / denominator
        while whole > 0 {
            if !bernoulliExpMinusOne() { return false }
            whole -= 1
        }
        return bernoulliExpUnit(numerator % denominator, over: denominator)
    }
}
