/// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), shared by
/// the pipeline's decoder and the redaction engine.
public enum UTF8Validation {
    /// The byte offset of the first ill-formed sequence, or nil when all bytes are valid UTF-8.
    public static func firstInvalidOffset(_ b: [UInt8]) -> Int? {
        b.withUnsafeBufferPointer { firstInvalidOffset($0) }
    }

    public static func firstInvalidOffset(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = b.count
        guard let base = b.baseAddress else { return nil }
        // ASCII fast path, eight bytes at a time.
        while i &+ 8 <= n && UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i &+= 8
        }
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            if i + need >= n { return i }
            let b1 = b[i + 1]
            if b1 < lo || b1 > hi { return i }
            for k in 2...max(2, need) where k <= need {
                if b[i + k] & 0xC0 != 0x80 { return i }
            }
            i += need + 1
        }
        return nil
    }
}
