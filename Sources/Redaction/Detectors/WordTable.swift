/// Flags a word or phrase carries in the gazetteer.
struct WordFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let firstName = WordFlags(rawValue: 1 << 0)
    static let lastName = WordFlags(rawValue: 1 << 1)
    static let location = WordFlags(rawValue: 1 << 2)
    /// The first word of a multi-word location ("New" of "New York").
    static let locationPrefix = WordFlags(rawValue: 1 << 3)
    static let month = WordFlags(rawValue: 1 << 4)
    /// A title that introduces a name: Mr, Mrs, Dr, Herr, Mme …
    static let title = WordFlags(rawValue: 1 << 5)
    /// A name or place that is also an everyday word ("Will", "May", "Nice"): needs context.
    static let ambiguous = WordFlags(rawValue: 1 << 6)
    /// A capitalised word that never starts or continues a name ("The", "Monday", "I").
    static let stop = WordFlags(rawValue: 1 << 7)
    /// The first word of a user dictionary phrase.
    static let userPrefix = WordFlags(rawValue: 1 << 8)
    /// A whole user dictionary term; the dictionary index sits in the high 16 bits.
    static let userTerm = WordFlags(rawValue: 1 << 9)
    static let personPhrase = WordFlags(rawValue: 1 << 10)
}

/// An open-addressing hash table from byte strings to flags. A value type: built while the policy
/// compiles, then only read, so lookups need no exclusivity checks. Keys match exactly
/// (case-sensitive) unless inserted in several spellings.
struct WordTable: Sendable {
    private var slots: [Int32]
    private var mask: Int
    private var keyStart: [Int32] = []
    private var keyLength: [Int32] = []
    private var values: [UInt32] = []
    private var hashes: [UInt64] = []
    private var arena: [UInt8] = []
    /// The longest key in bytes; longer candidates are not looked up.
    private(set) var maxKeyLength = 0

    init(capacityHint: Int = 1024) {
        var cap = 16
        while cap < capacityHint * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
    }

    var count: Int { values.count }

    /// `hash(p, len)` for a word of 1...7 bytes given as the low bytes of `w` (the eight bytes at `p`,
    /// loaded little-endian; bytes past the word are ignored). The same value on little-endian hosts,
    /// from shifts instead of loads.
    @inline(__always)
    static func hashShort(_ w: UInt64, _ len: Int) -> UInt64 {
        let a: UInt64
        let b: UInt64
        if len >= 4 {
            a = w & 0xFFFF_FFFF
            b = (w &>> UInt64((len &- 4) &* 8)) & 0xFFFF_FFFF
        } else {
            a = (w & 0xFF) | ((w &>> UInt64((len &>> 1) &* 8)) & 0xFF) &<< 8 | ((w &>> UInt64((len &- 1) &* 8)) & 0xFF) &<< 16
            b = 0
        }
        var h = (a ^ UInt64(len) &* 0xFF51_AFD7_ED55_8CCD) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h &>> 29) ^ (b &* 0xC4CE_B9FE_1A85_EC53)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h &>> 32)
    }

    /// A word hash from a few wide loads instead of one multiply per byte: the first and last eight
    /// (or four) bytes, overlapping for short words, every middle eight bytes for long phrases, and
    /// the length, mixed with multiply–xorshift rounds. Never reads outside `p[0..<len]`.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ len: Int) -> UInt64 {
        let r = UnsafeRawPointer(p)
        var a: UInt64
        var b: UInt64
        if len >= 8 {
            a = r.loadUnaligned(as: UInt64.self)
            b = r.loadUnaligned(fromByteOffset: len &- 8, as: UInt64.self)
            var off = 8
            while off &+ 8 < len {
                a = (a ^ r.loadUnaligned(fromByteOffset: off, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                a ^= a &>> 31
                off &+= 8
            }
        } else if len >= 4 {
            a = UInt64(r.loadUnaligned(as: UInt32.self))
            b = UInt64(r.loadUnaligned(fromByteOffset: len &- 4, as: UInt32.self))
        } else if len > 0 {
            a = UInt64(p[0]) | UInt64(p[len &>> 1]) &<< 8 | UInt64(p[len &- 1]) &<< 16
            b = 0
        } else {
            a = 0
            b = 0
        }
        var h = (a ^ UInt64(len) &* 0xFF51_AFD7_ED55_8CCD) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h &>> 29) ^ (b &* 0xC4CE_B9FE_1A85_EC53)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h &>> 32)
    }

    /// Adds `flags` to the key (or inserts it).
    mutating func insert(_ key: [UInt8], _ flags: UInt32) {
        guard !key.isEmpty, key.count < 256 else { return }
        let existing = key.withUnsafeBufferPointer { lookupIndex($0.baseAddress!, $0.count) }
        if existing >= 0 {
            values[existing] |= flags
            return
        }
        if (values.count + 1) * 2 > mask + 1 { grow() }
        let h = key.withUnsafeBufferPointer { WordTable.hash($0.baseAddress!, $0.count) }
        let idx = Int32(values.count)
        keyStart.append(Int32(arena.count))
        keyLength.append(Int32(key.count))
        arena.append(contentsOf: key)
        values.append(flags)
        hashes.append(h)
        maxKeyLength = max(maxKeyLength, key.count)
        place(idx, h)
    }

    mutating func insert(_ key: String, _ flags: WordFlags) { insert(Array(key.utf8), flags.rawValue) }

    private mutating func place(_ idx: Int32, _ h: UInt64) {
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = idx
    }

    private mutating func grow() {
        let cap = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for i in 0..<values.count { place(Int32(i), hashes[i]) }
    }

    @inline(__always)
    private func lookupIndex(_ p: UnsafePointer<UInt8>, _ len: Int) -> Int {
        let h = WordTable.hash(p, len)
        var s = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { sl in
            hashes.withUnsafeBufferPointer { hs in
                keyLength.withUnsafeBufferPointer { kl in
                    arena.withUnsafeBufferPointer { a in
                        while true {
                            let idx = Int(sl[s])
                            if idx < 0 { return -1 }
                            if hs[idx] == h && Int(kl[idx]) == len {
                                if memcmpBytes(a.baseAddress! + Int(keyStart[idx]), p, len) { return idx }
                            }
                            s = (s + 1) & mask
                        }
                    }
                }
            }
        }
    }

    /// The flags of the `len` bytes at `p`, or 0 when absent.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ len: Int) -> UInt32 {
        if len > maxKeyLength || len == 0 { return 0 }
        let idx = lookupIndex(p, len)
        return idx < 0 ? 0 : values[idx]
    }

    func lookup(_ key: String) -> UInt32 { lookup(Array(key.utf8)) }

    func lookup(_ key: [UInt8]) -> UInt32 {
        key.withUnsafeBufferPointer { $0.isEmpty ? 0 : lookup($0.baseAddress!, $0.count) }
    }

    /// Every key, in insertion order.
    var keys: [[UInt8]] {
        keyStart.indices.map { k in Array(arena[Int(keyStart[k]) ..< Int(keyStart[k] + keyLength[k])]) }
    }

    func parts() -> (slots: [Int32], mask: Int, keyStart: [Int32], keyLength: [Int32], values: [UInt32], hashes: [UInt64], arena: [UInt8]) {
        (slots, mask, keyStart, keyLength, values, hashes, arena)
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    for i in 0..<n where a[i] != b[i] { return false }
    return true
}

/// The frozen, pointer-based form of a `WordTable` that the scanner reads: plain loads, no
/// reference counting or exclusivity checks per lookup.
final class WordIndex: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int
    private let keyStart: UnsafeMutablePointer<Int32>
    private let keyLength: UnsafeMutablePointer<Int32>
    private let values: UnsafeMutablePointer<UInt32>
    private let hashes: UnsafeMutablePointer<UInt64>
    private let arena: UnsafeMutablePointer<UInt8>
    let maxKeyLength: Int
    /// A blocked Bloom filter over the keys that carry more than the stop flag: 2,048 words of 64 bits
    /// (16 KB, stays in L1), three bits per key, all in one word, so a test is one load. Most
    /// capitalised words in chat are sentence starts that are not names, and the filter turns them
    /// away without touching the large table. With the built-in gazetteer (about 10,000 such keys,
    /// 13 bits each) 1.3 % of other words get through (200,000 random capitalised words); the previous
    /// 8 KB two-load filter let through 7.4 % — among them "The", "What" and "Great".
    private let bloom: UnsafeMutablePointer<UInt64>
    /// A 1024-bit filter over the first two bytes of every month name, so that most words after a
    /// day number ("10 minutes") are turned away before their end is found and hashed. Off when a
    /// month key has a single byte.
    private let monthPairs: UnsafeMutablePointer<UInt64>
    private let monthPairFilter: Bool

    init(_ t: WordTable) {
        let parts = t.parts()
        func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
            a.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { p.initialize(from: base, count: b.count) }
            }
            return p
        }
        slots = copy(parts.slots)
        mask = parts.mask
        keyStart = copy(parts.keyStart)
        keyLength = copy(parts.keyLength)
        values = copy(parts.values)
        hashes = copy(parts.hashes)
        arena = copy(parts.arena)
        maxKeyLength = t.maxKeyLength
        bloom = .allocate(capacity: WordIndex.bloomWords)
        bloom.initialize(repeating: 0, count: WordIndex.bloomWords)
        for (i, v) in parts.values.enumerated() where v & ~WordFlags.stop.rawValue != 0 {
            let h = parts.hashes[i]
            bloom[WordIndex.bloomWord(h)] |= WordIndex.bloomBits(h)
        }
        monthPairs = .allocate(capacity: 16)
        monthPairs.initialize(repeating: 0, count: 16)
        var filter = true
        for (i, v) in parts.values.enumerated() where v & WordFlags.month.rawValue != 0 {
            let at = Int(parts.keyStart[i])
            guard parts.keyLength[i] >= 2 else {
                filter = false
                continue
            }
            let h = ContextSet.pairSlot(parts.arena[at], parts.arena[at + 1])
            monthPairs[h >> 6] |= 1 << UInt64(h & 63)
        }
        monthPairFilter = filter
    }

    /// False when no month name starts with the bytes `b0 b1`; true when one may.
    @inline(__always)
    func mayStartMonth(_ b0: UInt8, _ b1: UInt8) -> Bool {
        if !monthPairFilter { return true }
        let h = ContextSet.pairSlot(b0, b1)
        return monthPairs[h &>> 6] & (1 &<< UInt64(h & 63)) != 0
    }

    /// Whether the Bloom filter lets a word of hash `h` through (it may then carry more than the stop
    /// flag); false means `lookupMeaningful` returns 0 for it.
    @inline(__always)
    func mayBeMeaningful(_ h: UInt64) -> Bool {
        let bits = WordIndex.bloomBits(h)
        return bloom[WordIndex.bloomWord(h)] & bits == bits
    }

    static let bloomWords = 2048

    /// The filter word of hash `h` (bits 20–30) and its three bits in it (bits 0–5, 6–11, 12–17).
    @inline(__always)
    static func bloomWord(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h &>> 20) & (bloomWords &- 1) }

    @inline(__always)
    static func bloomBits(_ h: UInt64) -> UInt64 {
        (1 &<< (h & 63)) | (1 &<< ((h &>> 6) & 63)) | (1 &<< ((h &>> 12) & 63))
    }

    /// Like `lookup`, but returns 0 at once for words the Bloom filter rules out (those are either
    /// absent or stop words only, which the caller treats alike).
    @inline(__always)
    func lookupMeaningful(_ p: UnsafePointer<UInt8>, _ len: Int) -> UInt32 {
        if len > maxKeyLength || len == 0 { return 0 }
        return lookupMeaningful(p, len, hash: WordTable.hash(p, len))
    }

    /// `lookupMeaningful` for a word of 1...`maxKeyLength` bytes whose `hash` the caller has.
    @inline(__always)
    func lookupMeaningful(_ p: UnsafePointer<UInt8>, _ len: Int, hash h: UInt64) -> UInt32 {
        if !mayBeMeaningful(h) { return 0 }
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let idx = Int(slots[s])
            if idx < 0 { return 0 }
            if hashes[idx] == h && Int(keyLength[idx]) == len && memcmpBytes(arena + Int(keyStart[idx]), p, len) {
                return values[idx]
            }
            s = (s + 1) & mask
        }
    }

    deinit {
        monthPairs.deallocate()
        bloom.deallocate()
        slots.deallocate()
        keyStart.deallocate()
        keyLength.deallocate()
        values.deallocate()
        hashes.deallocate()
        arena.deallocate()
    }

    /// The flags of the `len` bytes at `p`, or 0 when absent.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ len: Int) -> UInt32 {
        if len > maxKeyLength || len == 0 { return 0 }
        let h = WordTable.hash(p, len)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let idx = Int(slots[s])
            if idx < 0 { return 0 }
            if hashes[idx] == h && Int(keyLength[idx]) == len && memcmpBytes(arena + Int(keyStart[idx]), p, len) {
                return values[idx]
            }
            s = (s + 1) & mask
        }
    }
}
