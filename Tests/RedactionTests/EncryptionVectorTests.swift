import Testing

@testable import Redaction

/// The `encrypt` operator's primitive against RFC 8452 Appendix C.2 (AEAD_AES_256_GCM_SIV), called the
/// way the operator calls it, and the operator's key and nonce derivation as Docs/redaction.md states it.
@Suite struct EncryptionVectorTests {
    struct Vector {
        let plaintext: String
        let aad: String
        let key: String
        let nonce: String
        /// Ciphertext ‖ tag, as the RFC's "Result".
        let result: String
    }

    static let oneKey = "0100000000000000000000000000000000000000000000000000000000000000"
    static let oneNonce = "030000000000000000000000"

    /// RFC 8452 Appendix C.2: the first entries (empty and short plaintexts, with and without AAD, under
    /// the key 01 00…) and three with random keys, nonces and odd lengths.
    static let vectors = [
        Vector(plaintext: "", aad: "", key: oneKey, nonce: oneNonce, result: "07f5f4169bbf55a8400cd47ea6fd400f"),
        Vector(plaintext: "0100000000000000", aad: "", key: oneKey, nonce: oneNonce,
               result: "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28"),
        Vector(plaintext: "0200000000000000", aad: "01", key: oneKey, nonce: oneNonce,
               result: "1de22967237a813291213f267e3b452f02d01ae33e4ec854"),
        Vector(plaintext: "0300000000000000000000000000000004000000",
               aad: "010000000000000000000000000000000200", key: oneKey, nonce: oneNonce,
               result: "43dd0163cdb48f9fe3212bf61b201976067f342bb879ad976d8242acc188ab59cabfe307"),
        Vector(plaintext: "671fdd", aad: "4fbdc66f14",
               key: "bae8e37fc83441b16034566b7a806c46bb91c3c5aedb64a6c590bc84d1a5e269",
               nonce: "e4b47801afc0577e34699b9e", result: "0eaccb93da9bb81333aee0c785b240d319719d"),
        Vector(plaintext: "1db2316fd568378da107b52b", aad: "0da55210cc1c1b0abde3b2f204d1e9f8b06bc47f",
               key: "a44102952ef94b02b805249bac80e6f61455bfac8308a2d40d8c845117808235",
               nonce: "5c9e940fea2f582950a70d5a",
               result: "8dbeb9f7255bf5769dd56692404099c2587f64979f21826706d497d5"),
        Vector(plaintext: "ced532ce4159b035277d4dfbb7db62968b13cd4eec",
               aad: "734320ccc9d9bbbb19cb81b2af4ecbc3e72834321f7aa0f70b7282b4f33df23f167541",
               key: "3c535de192eaed3822a2fbbe2ca9dfc88255e14a661b8aa82cc54236093bbc23",
               nonce: "688089e55540db1872504e1c",
               result: "626660c26ea6612fb17ad91e8e767639edd6c9faee9d6c7029675b89eaf4ba1ded1a286594"),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        let h = Array(hex.utf8)
        return stride(from: 0, to: h.count, by: 2).map {
            RedactionKeys.hexValue(h[$0])! << 4 | RedactionKeys.hexValue(h[$0 + 1])!
        }
    }

    @Test(arguments: vectors)
    func sealMatchesRFC8452(_ v: Vector) throws {
        let sealed = try Operators.sealSIV(Self.bytes(v.plaintext), keyBytes: Self.bytes(v.key),
                                           nonceBytes: Self.bytes(v.nonce), aad: Self.bytes(v.aad))
        #expect(RedactionKeys.hex(sealed) == v.result)
    }

    @Test(arguments: vectors)
    func openRecoversPlaintextAndRefusesTampering(_ v: Vector) throws {
        let key = Self.bytes(v.key), nonce = Self.bytes(v.nonce), aad = Self.bytes(v.aad)
        let plain = try Operators.openSIV(Self.bytes(v.result), keyBytes: key, nonceBytes: nonce, aad: aad)
        #expect(RedactionKeys.hex(plain) == v.plaintext)
        var flipped = Self.bytes(v.result)
        flipped[flipped.count - 1] ^= 1
        #expect(throws: (any Error).self) { try Operators.openSIV(flipped, keyBytes: key, nonceBytes: nonce, aad: aad) }
        #expect(throws: (any Error).self) {
            try Operators.openSIV(Self.bytes(v.result), keyBytes: key, nonceBytes: nonce, aad: aad + [0])
        }
    }

    /// Expected values computed independently (Python's hmac/hashlib) for the master key of `testKeys`:
    /// encryption key = HKDF-SHA-256(ikm: master, salt: "steward-redaction-v1", info: "encrypt/aes-gcm-siv",
    /// 32 bytes); nonce = first 12 bytes of HMAC-SHA-256(encryption key, "nonce").
    @Test func keyAndNonceDerivationIsTheDocumentedOne() {
        #expect(RedactionKeys.hex(testKeys.encryptionKeyBytes)
            == "f1215aeedb465db521b387a3ec43636f24675be689853c03b2720eeb45d842b5")
        #expect(RedactionKeys.hex(Operators.fixedNonceBytes(testKeys)) == "b610f0a5f6f21a9d8c20d605")
        #expect(testKeys.keyID == "be97bb7d")
    }

    /// The token is `<ENC_TYPE_hex(ciphertext ‖ tag)>` of AES-256-GCM-SIV under the derived key and nonce
    /// with the type name as associated data.
    @Test func tokenIsTheRFCPrimitiveUnderTheDerivedKey() throws {
        let value = "zoë@example.com"
        let token = Operators.encrypt(value, type: .emailAddress, keys: testKeys)
        let sealed = try Operators.sealSIV(
            Array(value.utf8), keyBytes: testKeys.encryptionKeyBytes, nonceBytes: Operators.fixedNonceBytes(testKeys),
            aad: Array("EMAIL_ADDRESS".utf8))
        #expect(token == "<ENC_EMAIL_ADDRESS_\(RedactionKeys.hex(sealed))>")
        #expect(sealed.count == value.utf8.count + 16)
    }
}
