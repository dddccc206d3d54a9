/// The simple case fold that case-insensitive dictionaries match under: byte for byte, the same length
/// (so offsets carry over), capitals to small letters for ASCII, Latin-1 (À–Þ except ×), Greek (Α–Ω)
/// and Cyrillic (А–Я, Ѐ–Џ). Terms are folded with it when the policy compiles and text when it is
/// scanned, so both sides agree; letters of other scripts compare as written.
enum CaseFold {
    /// Folds `count` bytes from `src` into `dst` (which may be `src`). A two-byte letter whose second
    /// byte lies past `count` is copied unfolded.
    @inline(__always)
    static func fold(_ src: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>, count: Int) {
        var k = 0
        while k < count {
            let b = src[k]
            if b &- 65 < 26 {
                dst[k] = b | 0x20
                k &+= 1
                continue
            }
            guard b >= 0xC3, k &+ 1 < count else {
                dst[k] = b
                k &+= 1
                continue
            }
            let (l, t) = pair(b, src[k &+ 1])
            dst[k] = l
            dst[k &+ 1] = t
            k &+= 2
        }
    }

    /// The two-byte letter `b c` folded (the lead byte changes for Π–Ω, Ѐ–Џ and Р–Я); other pairs as
    /// they are.
    @inline(__always)
    static func pair(_ b: UInt8, _ c: UInt8) -> (UInt8, UInt8) {
        switch b {
        case 0xC3 where c >= 0x80 && c <= 0x9E && c != 0x97: return (b, c &+ 0x20)  // À–Þ
        case 0xCE where c >= 0x91 && c <= 0x9F: return (b, c &+ 0x20)  // Α–Ο
        case 0xCE where c >= 0xA0 && c <= 0xA9 && c != 0xA2: return (0xCF, c &- 0x20)  // Π–Ω
        case 0xD0 where c >= 0x80 && c <= 0x8F: return (0xD1, c &+ 0x10)  // Ѐ–Џ
        case 0xD0 where c >= 0x90 && c <= 0x9F: return (b, c &+ 0x20)  // А–П
        case 0xD0 where c >= 0xA0 && c <= 0xAF: return (0xD1, c &- 0x20)  // Р–Я
        default: return (b, c)
        }
    }

    static func fold(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if let s = src.baseAddress, let d = dst.baseAddress { fold(s, into: d, count: src.count) }
            }
        }
        return out
    }

    static func fold(_ s: String) -> [UInt8] { fold(Array(s.utf8)) }
}
