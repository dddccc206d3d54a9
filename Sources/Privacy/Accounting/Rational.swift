/// A positive rational number, for privacy parameters that must be exact (ρ, σ²).
public struct Rational: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let numerator: UInt128
    public let denominator: UInt128

    public init(_ numerator: UInt128, _ denominator: UInt128) {
        precondition(denominator > 0)
        let g = gcd(numerator, denominator)
        self.numerator = g == 0 ? 0 : numerator / g
        self.denominator = g == 0 ? 1 : denominator / g
    }

    /// Parses a non-negative decimal such as `0.5`, `2`, `1e-3` or `0.125` exactly.
    public init?(decimal text: String) {
        var mantissa = text.lowercased()
        var exponent = 0
        if let e = mantissa.firstIndex(of: "e") {
            guard let value = Int(mantissa[mantissa.index(after: e)...]) else { return nil }
            exponent = value
            mantissa = String(mantissa[..<e])
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        let digits = whole + fraction
        guard !digits.isEmpty, digits.count <= 30, digits.allSatisfy(\.isASCII), let n = UInt128(String(digits))
        else { return nil }
        exponent -= fraction.count
        guard abs(exponent) <= 30 else { return nil }
        var power: UInt128 = 1
        for _ in 0..<abs(exponent) { power *= 10 }
        self = exponent >= 0 ? Rational(n * power, 1) : Rational(n, power)
    }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }

    public static func + (lhs: Rational, rhs: Rational) -> Rational {
        Rational(lhs.numerator * rhs.denominator + rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }
    public var description: String { "\(numerator)/\(denominator)" }
}
