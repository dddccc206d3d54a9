import Crypto
import Foundation

/// Keys for the keyed operators, derived with HKDF-SHA-256 from one master secret so that the
/// pseudonym key, the encryption key and the noise key are independent. The secret itself is kept
/// only inside `SymmetricKey` and never printed: `description` shows a key id, not key material.
public struct RedactionKeys: Sendable, CustomStringConvertible {
    let pseudonymKey: SymmetricKey
    let encryptionKey: SymmetricKey
    let noiseKey: SymmetricKey
    /// A short, non-secret fingerprint (first 8 hex digits of HMAC(master, "key-id")) for audit logs.
    public let keyID: String

    public static let environmentVariable = "STEWARD_REDACTION_KEY"
    public static let fileVariable = "STEWARD_REDACTION_KEY_FILE"

    /// `master` must hold at least 16 bytes (32 recommended).
    public init(master: [UInt8]) throws(RedactionError) {
        guard master.count >= 16 else { throw .invalidKey("the key must be at least 16 bytes (32 recommended)") }
        let ikm = SymmetricKey(data: master)
        let salt = Array("steward-redaction-v1".utf8)
        func derive(_ label: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, salt: salt, info: Array(label.utf8), outputByteCount: 32)
        }
        pseudonymKey = derive("pseudonym")
        encryptionKey = derive("encrypt/aes-gcm-siv")
        noiseKey = derive("noise")
        let id = HMAC<SHA256>.authenticationCode(for: Array("key-id".utf8), using: ikm)
        keyID = Self.hex(Array(id).prefix(4))
    }

    public var description: String { "RedactionKeys(id: \(keyID))" }

    /// The derived encryption key's bytes (for the derivation test; never printed).
    var encryptionKeyBytes: [UInt8] { encryptionKey.withUnsafeBytes { Array($0) } }

    /// Decodes a key as written in the environment or a key file: `hex:…`, `base64:…`, or the raw
    /// text (its UTF-8 bytes). Surrounding whitespace and a trailing newline are ignored.
    public static func decode(_ text: String) throws(RedactionError) -> [UInt8] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.hasPrefix("hex:") {
            let h = Array(t.dropFirst(4).utf8)
            guard h.count % 2 == 0 else { throw .invalidKey("hex key has an odd number of digits") }
            var out: [UInt8] = []
            var i = 0
            while i < h.count {
                guard let hi = hexValue(h[i]), let lo = hexValue(h[i + 1]) else {
                    throw .invalidKey("hex key has a non-hex character")
                }
                out.append(hi << 4 | lo)
                i += 2
            }
            return out
        }
        if t.hasPrefix("base64:") {
            guard let d = Data(base64Encoded: String(t.dropFirst(7))) else { throw .invalidKey("base64 key does not decode") }
            return Array(d)
        }
        return Array(t.utf8)
    }

    /// Loads the key from `STEWARD_REDACTION_KEY` or the file named by `STEWARD_REDACTION_KEY_FILE`.
    /// `readFile` does the I/O so this module stays pure. Returns nil when neither is set.
    public static func load(
        environment: [String: String], readFile: (String) throws -> [UInt8]
    ) throws(RedactionError) -> RedactionKeys? {
        if let v = environment[environmentVariable], !v.isEmpty {
            return try RedactionKeys(master: decode(v))
        }
        if let path = environment[fileVariable], !path.isEmpty {
            let bytes: [UInt8]
            do { bytes = try readFile(path) } catch { throw .missingKey("cannot read the file named by \(fileVariable)") }
            return try RedactionKeys(master: decode(String(decoding: bytes, as: UTF8.self)))
        }
        return nil
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
