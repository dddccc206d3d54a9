import Crypto

/// Checksum and numbering-rule validators. Each takes the candidate's significant characters only
/// (digits, or the alphanumerics of an IBAN), already stripped of separators.
enum Checksums {
    /// Luhn (ISO/IEC 7812-1) over ASCII digits.
    static func luhn(_ digits: UnsafeBufferPointer<UInt8>) -> Bool {
        var sum = 0
        var double = false
        for d in digits.reversed() {
            var v = Int(d &- 48)
            if double {
                v &*= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            double.toggle()
        }
        return sum % 10 == 0
    }

    /// Whether the digits start with an issuer identification number of a major card network, with a
    /// length that network issues: Visa, Mastercard (51–55 and the 2-series 2221–2720), Amex, Discover,
    /// Diners, JCB, UnionPay, Maestro.
    static func plausibleCardIIN(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = d.count
        guard n >= 13, n <= 19 else { return false }
        func prefix(_ k: Int) -> Int {
            var v = 0
            for i in 0..<k { v = v * 10 + Int(d[i] &- 48) }
            return v
        }
        let p1 = prefix(1), p2 = prefix(2), p3 = prefix(3), p4 = prefix(4), p6 = prefix(6)
        if p1 == 4 { return n == 13 || n == 16 || n == 19 }  // Visa
        if (51...55).contains(p2) || (2221...2720).contains(p4) { return n == 16 }  // Mastercard
        if p2 == 34 || p2 == 37 { return n == 15 }  // Amex
        if p4 == 6011 || p2 == 65 || (644...649).contains(p3) || (622126...622925).contains(p6) {
            return n >= 16
        }  // Discover
        if (300...305).contains(p3) || p2 == 36 || p2 == 38 || p2 == 39 || p4 == 3095 { return n >= 14 }  // Diners
        if (3528...3589).contains(p4) { return n >= 16 }  // JCB
        if p4 == 2131 { return n == 15 }  // JCB (15 digits; 1800 is in the UATP range below)
        if p2 == 62 || p2 == 81 { return n >= 16 }  // UnionPay
        if p2 == 50 || (56...69).contains(p2) { return n >= 12 }  // Maestro
        if p2 == 22 { return n == 16 }  // Mir (2200–2204)
        if p1 == 1 { return n == 15 }  // UATP
        return false
    }

    /// ISO 13616 mod-97 over an IBAN's alphanumerics (uppercase letters and digits).
    static func ibanMod97(_ chars: UnsafeBufferPointer<UInt8>) -> Bool {
        guard chars.count >= 5 else { return false }
        var rem = 0
        @inline(__always) func feed(_ c: UInt8) -> Bool {
            if c &- 48 < 10 {
                rem = (rem &* 10 &+ Int(c &- 48)) % 97
            } else if c &- 65 < 26 {
                rem = (rem &* 100 &+ Int(c &- 55)) % 97
            } else {
                return false
            }
            return true
        }
        // Country code and check digits move to the end.
        for k in 4..<chars.count where !feed(chars[k]) { return false }
        for k in 0..<4 where !feed(chars[k]) { return false }
        return rem == 1
    }

    /// IBAN length per country (SEPA members and the other IBAN countries), or nil. Takes the two
    /// country-code bytes; a flat table over the 26 × 26 capital pairs, so a candidate costs no hashing.
    @inline(__always)
    static func ibanLength(_ a: UInt8, _ b: UInt8) -> Int? {
        guard a &- 65 < 26, b &- 65 < 26 else { return nil }
        let len = ibanLengthTable[Int(a &- 65) &* 26 &+ Int(b &- 65)]
        return len == 0 ? nil : Int(len)
    }

    /// IBAN length at `(first letter − A) × 26 + (second letter − A)`, 0 for no such country.
    private static let ibanLengthTable: [UInt8] = {
        // Every country of the SWIFT IBAN registry (release 99, 2025), with its IBAN length.
        let table: [(String, Int)] = [
            ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
            ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24),
            ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18),
            ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27),
            ("GT", 28), ("HN", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26),
            ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20),
            ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20),
            ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
            ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24),
            ("SC", 31), ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25),
            ("SV", 28), ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
            ("YE", 30),
        ]
        var out = [UInt8](repeating: 0, count: 26 * 26)
        for (cc, len) in table {
            let b = Array(cc.utf8)
            out[Int(b[0] - 65) * 26 + Int(b[1] - 65)] = UInt8(len)
        }
        return out
    }()

    /// US Social Security number rules: area not 000, 666 or 900–999; group not 00; serial not 0000;
    /// and not one of the numbers known to be published (advertising samples, all-same digits).
    static func usSSN(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard d.count == 9 else { return false }
        @inline(__always) func v(_ i: Int) -> Int { Int(d[i] &- 48) }
        let area = v(0) * 100 + v(1) * 10 + v(2)
        let group = v(3) * 10 + v(4)
        let serial = v(5) * 1000 + v(6) * 100 + v(7) * 10 + v(8)
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        if d.allSatisfy({ $0 == d[0] }) { return false }
        let whole = area * 1_000_000 + group * 10_000 + serial
        if whole == 78_051_120 || whole == 219_099_999 || whole == 123_456_789 { return false }
        return true
    }

    /// US ITIN: 9XX-[50–65, 70–88, 90–92, 94–99]-XXXX.
    static func usITIN(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard d.count == 9, d[0] == 57 else { return false }
        let group = Int(d[3] &- 48) * 10 + Int(d[4] &- 48)
        return (50...65).contains(group) || (70...88).contains(group) || (90...92).contains(group)
            || (94...99).contains(group)
    }

    /// NHS number (England, Wales, Isle of Man) modulus-11 check digit.
    static func ukNHS(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard d.count == 10 else { return false }
        var sum = 0
        for i in 0..<9 { sum += Int(d[i] &- 48) * (10 - i) }
        var check = 11 - sum % 11
        if check == 11 { check = 0 }
        if check == 10 { return false }
        if d.allSatisfy({ $0 == d[0] }) { return false }
        return check == Int(d[9] &- 48)
    }

    // MARK: Cryptocurrency addresses

    private static let base58Alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let base58Index: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in base58Alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Bitcoin legacy (P2PKH `1…`, P2SH `3…`) address: base58 decodes to 25 bytes whose last four are
    /// the first four of SHA-256(SHA-256(first 21)), with version byte 0x00 or 0x05.
    static func base58Check(_ s: [UInt8]) -> Bool {
        guard s.count >= 25, s.count <= 35 else { return false }
        var bytes = [UInt8](repeating: 0, count: 25)
        for c in s {
            let v = base58Index[Int(c)]
            if v < 0 { return false }
            var carry = Int(v)
            for j in stride(from: 24, through: 0, by: -1) {
                carry += 58 * Int(bytes[j])
                bytes[j] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            if carry != 0 { return false }
        }
        // Leading '1's encode leading zero bytes; the arithmetic above already left them zero.
        guard bytes[0] == 0x00 || bytes[0] == 0x05 else { return false }
        let first = SHA256.hash(data: bytes[0..<21])
        let second = SHA256.hash(data: Array(first))
        return Array(second.prefix(4)) == Array(bytes[21..<25])
    }

    private static let bech32Charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let bech32Index: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in bech32Charset.enumerated() {
            t[Int(c)] = Int8(i)
            if c >= 97 && c <= 122 { t[Int(c - 32)] = Int8(i) }
        }
        return t
    }()

    /// Bech32 / Bech32m (BIP-173, BIP-350) segwit address with human-readable part `bc` or `tb`.
    /// Works on the bytes in place: no temporary arrays per candidate.
    static func bech32(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        guard s.count >= 14, s.count <= 90 else { return false }
        var hasLower = false, hasUpper = false
        var sep = -1
        for k in 0..<s.count {
            let c = s[k]
            if c &- 97 < 26 { hasLower = true }
            if c &- 65 < 26 { hasUpper = true }
            if c == 49 { sep = k }
        }
        if hasLower && hasUpper { return false }
        // The human-readable part is `bc` or `tb`, so the last '1' must be the third byte.
        guard sep == 2, s.count - sep - 1 >= 6 else { return false }
        let h0 = s[0] | 0x20, h1 = s[1] | 0x20
        guard (h0 == 98 && h1 == 99) || (h0 == 116 && h1 == 98) else { return false }
        var chk: UInt32 = 1
        @inline(__always) func feed(_ v: UInt32) {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ v
            if top & 1 != 0 { chk ^= 0x3b6a_57b2 }
            if top & 2 != 0 { chk ^= 0x2650_8e6d }
            if top & 4 != 0 { chk ^= 0x1ea1_19fa }
            if top & 8 != 0 { chk ^= 0x3d42_33dd }
            if top & 16 != 0 { chk ^= 0x2a14_62b3 }
        }
        feed(UInt32(h0 >> 5))
        feed(UInt32(h1 >> 5))
        feed(0)
        feed(UInt32(h0 & 31))
        feed(UInt32(h1 & 31))
        for k in 3..<s.count {
            let v = bech32Index[Int(s[k])]
            if v < 0 { return false }
            feed(UInt32(v))
        }
        return chk == 1 || chk == 0x2bc8_30a3
    }

    /// Ethereum address `0x` + 40 hex digits. All-lowercase or all-uppercase is accepted as is; mixed
    /// case must carry a valid EIP-55 checksum (Keccak-256 of the lowercase hex).
    static func ethereum(_ hex: [UInt8]) -> Bool {
        guard hex.count == 40 else { return false }
        var lower = [UInt8]()
        lower.reserveCapacity(40)
        var hasLower = false, hasUpper = false
        for c in hex {
            switch c {
            case 48...57: lower.append(c)
            case 97...102: hasLower = true; lower.append(c)
            case 65...70: hasUpper = true; lower.append(c + 32)
            default: return false
            }
        }
        if !(hasLower && hasUpper) { return true }
        let digest = Keccak256.hash(lower)
        for i in 0..<40 {
            let c = hex[i]
            guard c >= 65 else { continue }  // digits carry no case
            let nibble = (i % 2 == 0) ? digest[i / 2] >> 4 : digest[i / 2] & 0xF
            let upper = c <= 70
            if upper != (nibble >= 8) { return false }
        }
        return true
    }
}

/// Keccak-256 (the pre-standard SHA-3 padding used by Ethereum), for EIP-55 checksums only.
enum Keccak256 {
    private static let rc: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    private static let rotations: [UInt64] = [
        0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
    ]

    private static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for round in 0..<24 {
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ ((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63))
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            for x in 0..<5 {
                for y in 0..<5 {
                    let r = rotations[x + 5 * y]
                    let v = a[x + 5 * y]
                    let rotated = r == 0 ? v : (v << r) | (v >> (64 - r))
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotated
                }
            }
            for x in 0..<5 {
                for y in 0..<5 {
                    a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y])
                }
            }
            a[0] ^= rc[round]
        }
    }

    static func hash(_ message: [UInt8]) -> [UInt8] {
        let rate = 136
        var state = [UInt64](repeating: 0, count: 25)
        var padded = message
        padded.append(0x01)
        while padded.count % rate != 0 { padded.append(0) }
        padded[padded.count - 1] |= 0x80
        var offset = 0
        while offset < padded.count {
            for i in 0..<(rate / 8) {
                var lane: UInt64 = 0
                for j in 0..<8 { lane |= UInt64(padded[offset + i * 8 + j]) << (8 * UInt64(j)) }
                state[i] ^= lane
            }
            permute(&state)
            offset += rate
        }
        var out = [UInt8]()
        for i in 0..<4 {
            for j in 0..<8 { out.append(UInt8((state[i] >> (8 * UInt64(j))) & 0xFF)) }
        }
        return out
    }
}

extension Checksums {
    // Array forms, for tests and cold paths.
    static func luhn(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { luhn($0) } }
    static func plausibleCardIIN(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { plausibleCardIIN($0) } }
    static func usSSN(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { usSSN($0) } }
    static func usITIN(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { usITIN($0) } }
    static func ukNHS(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { ukNHS($0) } }
    static func ibanMod97(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { ibanMod97($0) } }
    static func bech32(_ d: [UInt8]) -> Bool { d.withUnsafeBufferPointer { bech32($0) } }
}
