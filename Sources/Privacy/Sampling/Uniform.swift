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

    /// A uniform integer in `0..<bound` for 128-bit bounds (masked rejection; exact).
    @inlinable
    mutating func uniform(below bound: UInt128) -> UInt128 {
        precondition(bound > 0)
        if bound <= UInt128(UInt64.max) { return UInt128(uniform(below: UInt64(bound))) }
        let mask = UInt128.max >> (bound - 1).leadingZeroBitCount
        while true {
            let candidate = (UInt128(next()) << 64 | UInt128(next())) & mask
            if candidate < bound { return candidate }
        }
    }

    /// True with probability `numerator / denominator` (requires numerator <= denominator).
    @inlinable
    mutating func bernoulli(_ numerator: UInt128, over denominator: UInt128) -> Bool {
        uniform(below: denominator) < numerator
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
        // Algorithm 1 with gamma = 1: continue while a uniform draw in 0..<k is 0.
        var k: UInt64 = 1
        while uniform(below: k) == 0 { k += 1 }
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
