import Crypto
import Foundation

/// A signed statement of the log's size and root, in the text form of the transparency-dev
/// checkpoint (`<origin>\n<tree size>\n<base64 root>\n`) plus one extension line,
/// `entry <hex>`: SHA-256 of the audit entry that carries it (without its checkpoint), so the
/// signature also covers the last entry of a log, which no later entry chains to. Signed with Ed25519.
///
/// Anyone holding the public key can check that a tree head came from the log's owner; two
/// checkpoints of one log must be consistent (the older tree a prefix of the newer one).
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var treeSize: UInt64
    public var root: [UInt8]
    public var entryDigest: [UInt8]

    public init(origin: String, treeSize: UInt64, root: [UInt8], entryDigest: [UInt8]) {
        self.origin = origin
        self.treeSize = treeSize
        self.root = root
        self.entryDigest = entryDigest
    }

    /// The bytes that are signed.
    public var body: [UInt8] {
        Array("\(origin)\n\(treeSize)\n\(Data(root).base64EncodedString())\nentry \(Hex.encode(entryDigest))\n".utf8)
    }
}

/// The Ed25519 key that signs checkpoints, from `STEWARD_AUDIT_KEY` or the file named by
/// `STEWARD_AUDIT_KEY_FILE`: 64 hex digits are the 32-byte private key itself; anything else (at
/// least 32 bytes) is hashed into one. Never printed: `description` shows the key id only.
public struct AuditSigningKey: Sendable, CustomStringConvertible {
    let privateKey: Curve25519.Signing.PrivateKey

    public static let environmentVariable = "STEWARD_AUDIT_KEY"
    public static let fileEnvironmentVariable = "STEWARD_AUDIT_KEY_FILE"

    public init(material: [UInt8]) throws(AuditError) {
        var bytes = material
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        let seed: [UInt8]
        if bytes.count == 64, let decoded = Hex.decode(String(decoding: bytes, as: UTF8.self)) {
            seed = decoded
        } else if bytes.count >= 32 {
            var hasher = SHA256()
            hasher.update(data: Array("steward/audit-key/v1".utf8))
            hasher.update(data: bytes)
            seed = Array(hasher.finalize())
        } else {
            throw AuditError(
                "the audit key must be 64 hex digits or at least 32 bytes, e.g. from `openssl rand -hex 32`")
        }
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch {
            throw AuditError("the audit key is not a usable Ed25519 key")
        }
    }

    /// The key from the environment, or nil when neither variable is set. Errors never quote the key.
    public static func load(
        environment: [String: String], readFile: (String) throws -> [UInt8]
    ) throws(AuditError) -> AuditSigningKey? {
        if let value = environment[environmentVariable], !value.isEmpty {
            return try AuditSigningKey(material: Array(value.utf8))
        }
        if let path = environment[fileEnvironmentVariable], !path.isEmpty {
            let contents: [UInt8]
            do { contents = try readFile(path) } catch {
                throw AuditError("cannot read the audit key file named by \(fileEnvironmentVariable)")
            }
            return try AuditSigningKey(material: contents)
        }
        return nil
    }

    public var publicKey: AuditPublicKey { AuditPublicKey(raw: Array(privateKey.publicKey.rawRepresentation)) }

    public var description: String { "AuditSigningKey(id: \(publicKey.keyID))" }

    /// Ed25519 signatures are deterministic (RFC 8032) in BoringSSL, which swift-crypto uses on
    /// Linux, so a replay signs the same bytes into the same signature.
    public func sign(_ checkpoint: Checkpoint) -> [UInt8] {
        // Signing with a valid key over bytes in memory does not fail.
        Array(try! privateKey.signature(for: checkpoint.body))
    }
}

/// A checkpoint verifier's key: the 32 raw bytes of an Ed25519 public key, written as 64 hex digits.
public struct AuditPublicKey: Sendable, Equatable {
    public var raw: [UInt8]

    public init(raw: [UInt8]) {
        self.raw = raw
    }

    /// Reads `ed25519:<64 hex>` or bare hex, as `steward audit pubkey` prints it.
    public init(text: String) throws(AuditError) {
        var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("ed25519:") { trimmed.removeFirst("ed25519:".count) }
        guard let raw = Hex.decode(trimmed), raw.count == 32 else {
            throw AuditError("a public key is 'ed25519:' and 64 hex digits, as `steward audit pubkey` prints it")
        }
        self.raw = raw
    }

    public var text: String { "ed25519:" + Hex.encode(raw) }

    /// The first 8 hex digits of SHA-256 of the key: names the key in checkpoints, reveals nothing.
    public var keyID: String { String(Hex.encode(SHA256.hash(data: raw)).prefix(8)) }

    public func isValid(signature: [UInt8], for checkpoint: Checkpoint) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: checkpoint.body)
    }
}

/// An audit problem meant for the operator.
public struct AuditError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
