import Crypto
import Foundation
import _CryptoExtras

/// The value transformations. Pure functions of (operator, type, value, keys); the noise operator draws
/// its randomness from a keyed PRF of the value and a caller-supplied salt when a key is present.
enum Operators {
    static func apply(_ op: Operator, type: EntityType, value: String, keys: RedactionKeys?) -> String {
        switch op {
        case .keep: return value
        case .replace(let template):
            guard let template else { return "<\(type.rawValue)>" }
            return template.replacingOccurrences(of: "{type}", with: type.rawValue)
        case .redact, .drop: return ""
        case .mask(let ch, let keepLast, let keepSeparators):
            return mask(value, ch, keepLast, keepSeparators)
        case .pseudonym(let length):
            guard let keys else { return "<\(type.rawValue)>" }
            return "<\(type.rawValue)_\(pseudonym(value, type: type, length: length, keys: keys))>"
        case .encrypt:
            guard let keys else { return "<\(type.rawValue)>" }
            return encrypt(value, type: type, keys: keys)
        case .generalize(let g):
            return generalize(value, g, type: type)
        case .noise:
            return "<\(type.rawValue)>"  // noise applies to numeric fields only
        }
    }

    static func mask(_ value: String, _ ch: Character, _ keepLast: Int, _ keepSeparators: Bool) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        let cut = max(0, scalars.count - keepLast)
        for (i, s) in scalars.enumerated() {
            if i >= cut || (keepSeparators && !(s.properties.isAlphabetic || ("0"..."9").contains(s))) {
                out.append(s)
            } else {
                out.append(contentsOf: String(ch).unicodeScalars)
            }
        }
        return String(out)
    }

    static func pseudonym(_ value: String, type: EntityType, length: Int, keys: RedactionKeys) -> String {
        var msg = Array(type.rawValue.utf8)
        msg.append(0)
        msg.append(contentsOf: value.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: msg, using: keys.pseudonymKey)
        return String(RedactionKeys.hex(Array(mac)).prefix(length))
    }

    // MARK: Deterministic encryption

    static let encPrefix = "<ENC_"

    /// `<ENC_TYPE_hex>`: AES-GCM-SIV (RFC 8452) with a fixed, key-derived nonce — deterministic by
    /// design so equal values give equal tokens (joins work), and misuse-resistant so that a repeated
    /// nonce reveals only equality. The entity type is the associated data.
    static func encrypt(_ value: String, type: EntityType, keys: RedactionKeys) -> String {
        guard let sealed = try? sealSIV(Array(value.utf8), key: keys.encryptionKey, nonce: fixedNonce(keys),
                                        aad: Array(type.rawValue.utf8))
        else { return "<\(type.rawValue)>" }
        return "\(encPrefix)\(type.rawValue)_\(RedactionKeys.hex(sealed))>"
    }

    /// AES-GCM-SIV as the operator uses it: AES-256 (the derived key is 32 bytes), output ciphertext ‖ tag —
    /// the "Result" of RFC 8452's test vectors.
    static func sealSIV(
        _ plaintext: [UInt8], key: SymmetricKey, nonce: AES.GCM._SIV.Nonce, aad: [UInt8]
    ) throws -> [UInt8] {
        let box = try AES.GCM._SIV.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        var bytes = Array(box.ciphertext)
        bytes.append(contentsOf: box.tag)
        return bytes
    }

    /// The inverse of `sealSIV`; throws when the tag does not authenticate.
    static func openSIV(
        _ sealed: [UInt8], key: SymmetricKey, nonce: AES.GCM._SIV.Nonce, aad: [UInt8]
    ) throws -> [UInt8] {
        guard sealed.count >= 16 else { throw RedactionError.decryptionFailed("malformed token") }
        let box = try AES.GCM._SIV.SealedBox(nonce: nonce, ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
        return Array(try AES.GCM._SIV.open(box, using: key, authenticating: aad))
    }

    /// Byte-level forms of `sealSIV`/`openSIV` (raw key and nonce), for the RFC 8452 vector tests.
    static func sealSIV(_ plaintext: [UInt8], keyBytes: [UInt8], nonceBytes: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try sealSIV(plaintext, key: SymmetricKey(data: keyBytes), nonce: AES.GCM._SIV.Nonce(data: nonceBytes), aad: aad)
    }

    static func openSIV(_ sealed: [UInt8], keyBytes: [UInt8], nonceBytes: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try openSIV(sealed, key: SymmetricKey(data: keyBytes), nonce: AES.GCM._SIV.Nonce(data: nonceBytes), aad: aad)
    }

    /// The fixed nonce: the first 12 bytes of HMAC-SHA-256(encryption key, "nonce").
    static func fixedNonce(_ keys: RedactionKeys) -> AES.GCM._SIV.Nonce {
        // 12 bytes always make a valid nonce.
        try! AES.GCM._SIV.Nonce(data: fixedNonceBytes(keys))
    }

    static func fixedNonceBytes(_ keys: RedactionKeys) -> [UInt8] {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("nonce".utf8), using: keys.encryptionKey)
        return Array(Array(mac).prefix(12))
    }

    static func decrypt(type: String, hex: [UInt8], keys: RedactionKeys) throws(RedactionError) -> String {
        guard hex.count % 2 == 0, hex.count >= 32 else { throw .decryptionFailed("malformed token") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var i = 0
        while i < hex.count {
            guard let hi = RedactionKeys.hexValue(hex[i]), let lo = RedactionKeys.hexValue(hex[i + 1]) else {
                throw .decryptionFailed("malformed token")
            }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        do {
            let plain = try openSIV(bytes, key: keys.encryptionKey, nonce: fixedNonce(keys), aad: Array(type.utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw .decryptionFailed("token does not authenticate under this key (type \(type))")
        }
    }

    // MARK: Generalisation

    static func generalize(_ value: String, _ g: Generalization, type: EntityType) -> String {
        switch g {
        case .year, .month:
            guard let (y, m) = yearMonth(value) else { return "<\(type.rawValue)>" }
            if case .year = g { return String(y) }
            guard let m else { return String(y) }
            return m < 10 ? "\(y)-0\(m)" : "\(y)-\(m)"
        case .ageBand(let width):
            guard let v = Double(value.trimmingCharacters(in: .whitespaces)), v >= 0, width > 0 else { return "<\(type.rawValue)>" }
            let lo = Int(v) / width * width
            return "\(lo)-\(lo + width - 1)"
        case .bucket(let width):
            guard let v = Double(value.trimmingCharacters(in: .whitespaces)) else { return "<\(type.rawValue)>" }
            let lo = (v / width).rounded(.down) * width
            return "\(formatNumber(lo))-\(formatNumber(lo + width))"
        case .prefix(let count):
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.contains(" "), let first = trimmed.split(separator: " ").first, first.count <= count {
                return String(first)
            }
            return String(trimmed.prefix(count))
        }
    }

    static func formatNumber(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }

    static let monthNumbers: [String: Int] = {
        var m: [String: Int] = [:]
        for (i, names) in Gazetteer.months.enumerated() {
            for n in names { m[n.lowercased()] = i + 1 }
        }
        return m
    }()

    /// The year and, when present, the month of a date in any form the scanner detects.
    static func yearMonth(_ text: String) -> (Int, Int?)? {
        var numbers: [(value: Int, digits: Int)] = []
        var words: [String] = []
        var cur = ""
        var curIsDigit = false
        func flush() {
            if !cur.isEmpty {
                if curIsDigit { numbers.append((Int(cur) ?? 0, cur.count)) } else { words.append(cur.lowercased()) }
            }
            cur = ""
        }
        for ch in text {
            let d = ch.isASCII && ch.isNumber
            if d || ch.isLetter {
                if !cur.isEmpty && d != curIsDigit { flush() }
                curIsDigit = d
                cur.append(ch)
            } else {
                flush()
                if ch == "T" { break }
            }
        }
        flush()
        guard let yi = numbers.firstIndex(where: { $0.digits == 4 }) else { return nil }
        let year = numbers[yi].value
        if let m = words.lazy.compactMap({ monthNumbers[$0] ?? monthNumbers[String($0.prefix(3))] }).first { return (year, m) }
        let others = numbers.enumerated().filter { $0.offset != yi }.map(\.element.value)
        if yi == 0, others.count >= 1 { return (year, (1...12).contains(others[0]) ? others[0] : nil) }
        if others.count >= 2 {
            // D/M/Y or M/D/Y: take the one that can only be a month when the other cannot.
            if others[0] > 12 { return (year, others[1] <= 12 ? others[1] : nil) }
            return (year, others[1] > 12 ? others[0] : others[1])
        }
        return (year, nil)
    }

    // MARK: Noise (NOT differential privacy)

    /// Adds noise to a number lexeme. With keys, the noise is a keyed PRF of (salt, value), so a
    /// replay gives the same output; without, it uses the system generator.
    static func noise(_ lexeme: String, scale: Double, distribution: NoiseDistribution, decimals: Int?, salt: String,
                      keys: RedactionKeys?) -> String? {
        guard let v = Double(lexeme) else { return nil }
        var u1: Double, u2: Double
        if let keys {
            let mac = HMAC<SHA256>.authenticationCode(for: Array((salt + "\u{0}" + lexeme).utf8), using: keys.noiseKey)
            let b = Array(mac)
            var a: UInt64 = 0, c: UInt64 = 0
            for i in 0..<8 {
                a = a << 8 | UInt64(b[i])
                c = c << 8 | UInt64(b[8 + i])
            }
            u1 = (Double(a >> 11) + 0.5) / 9_007_199_254_740_992.0
            u2 = (Double(c >> 11) + 0.5) / 9_007_199_254_740_992.0
        } else {
            u1 = Double.random(in: Double.ulpOfOne..<1)
            u2 = Double.random(in: Double.ulpOfOne..<1)
        }
        let z: Double
        switch distribution {
        case .uniform: z = (u1 * 2 - 1) * scale
        case .laplace: z = (u1 < 0.5 ? log(2 * u1) : -log(2 * (1 - u1))) * scale
        case .gaussian: z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2) * scale
        }
        let r = v + z
        let places = decimals ?? (lexeme.contains(".") || lexeme.contains("e") || lexeme.contains("E") ? 2 : 0)
        if places == 0 { return String(Int(r.rounded())) }
        let f = pow(10.0, Double(places))
        let rounded = (r * f).rounded() / f
        return String(format: "%.\(places)f", rounded)
    }
}
