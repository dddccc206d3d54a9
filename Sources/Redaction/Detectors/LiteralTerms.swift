/// User dictionary terms that the word table cannot hold, matched as literal bytes where a word starts.
///
/// The scanner looks dictionary terms up by words: a run of letters (with an apostrophe or hyphen
/// before a capital, "O'Brien", "Jean-Luc"), up to seven of them joined by single spaces, starting
/// with a letter. Any other term — one that starts with a digit or punctuation ("3M", "#secret"), or
/// holds other bytes ("AT&T", "C++", "Acme.io", "Route 66", "Jean-luc") — is kept here and compared
/// byte for byte, as Presidio's deny-list expression would: where a word starts (the byte before is
/// not a word byte) and only as a whole word (the byte after is not one).
struct LiteralTerm: Sendable {
    /// The term's bytes; ASCII letters lowercased when `caseInsensitive`.
    let bytes: [UInt8]
    let caseInsensitive: Bool
    /// Index into `DetectorConfig.dictionaries`.
    let dictionary: Int

    /// Whether the term occurs at `i` as a whole word (the caller checked the byte before).
    func matches(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Bool {
        let len = bytes.count
        guard n - i >= len else { return false }
        if !WordClass.endsBefore(p, n, i + len) { return false }
        return bytes.withUnsafeBufferPointer { t in
            if caseInsensitive {
                for k in 0..<len {
                    if Byte.lowercased(p[i + k]) != t[k] { return false }
                }
                return true
            }
            for k in 0..<len where p[i + k] != t[k] { return false }
            return true
        }
    }

    /// Whether the scanner's word look-ups find `term` (see the type's comment); `caseInsensitive`
    /// terms with an apostrophe or hyphen do not qualify (the scanner joins words there only before a
    /// capital, which the folded text no longer has).
    static func fitsWordTable(_ term: [UInt8], caseInsensitive: Bool) -> Bool {
        func isLetter(_ k: Int) -> Bool {
            guard k < term.count else { return false }
            let b = term[k]
            if ByteClass.isASCIILetter(b) { return true }
            guard b >= Byte.firstNonASCII else { return false }
            // General punctuation (U+2000–U+206F: ’ “ –, UTF-8 E2 80 …) and U+00A0, «, » (C2 A0, C2 AB,
            // C2 BB) end the scanner's words.
            if b == 0xE2 && k + 1 < term.count && term[k + 1] == 0x80 { return false }
            if b == 0xC2 && k + 1 < term.count && [0xA0, 0xAB, 0xBB].contains(term[k + 1]) { return false }
            // A continuation byte cannot start a letter.
            return b >= Byte.firstLead || k > 0 && term[k - 1] >= Byte.firstNonASCII
        }
        guard !term.isEmpty, isLetter(0) else { return false }
        var words = 1
        var k = 1
        while k < term.count {
            let b = term[k]
            if isLetter(k) {
                k += 1
            } else if (b == Byte.apostrophe || b == Byte.dash) && !caseInsensitive && k + 1 < term.count
                && term[k + 1] &- Byte.upperA < 26
            {
                k += 1
            } else if b == Byte.space && isLetter(k + 1) {
                words += 1
                k += 1
            } else {
                return false
            }
        }
        return words <= 7
    }
}

/// The literal terms of a policy. Terms that start with a letter are found through their first word
/// (the run of ASCII letters and bytes of multi-byte characters, at most `LiteralTerms.keyLength`
/// bytes, folded by `CaseFold`): one hash and a filter bit per word start, whatever the number of
/// terms; the others (a digit or punctuation first: "3M", "#secret") by their first byte (both
/// cases of an ASCII letter for a case-insensitive term). Candidates are kept longest first, then in
/// dictionary order.
struct LiteralTerms: Sendable {
    static let keyLength = 24
    private(set) var terms: [LiteralTerm] = []
    /// Indices into `terms` of the terms that start with each byte (not with a letter).
    private(set) var byFirst: [[Int32]] = Array(repeating: [], count: 256)
    /// Indices into `terms` by the hash of their folded first word.
    private var byWord: [UInt64: [Int32]] = [:]
    /// 65,536 bits over the same hashes: most word starts stop here.
    private var wordFilter = [UInt64](repeating: 0, count: 1024)
    /// Bytes at which some term starts.
    private(set) var firstBytes = [Bool](repeating: false, count: 256)
    private var seen = Set<[UInt8]>()
    private var seenFolded = Set<[UInt8]>()
    var isEmpty: Bool { terms.isEmpty }

    /// Adds a term of dictionary `dictionary`. A term an earlier dictionary already matches is left
    /// to that one (a term in two dictionaries is reported as the first one's). Case-insensitive
    /// terms match ASCII letters in any case and other letters as written (the caller adds the lower,
    /// UPPER and Capitalised spellings).
    mutating func add(_ term: [UInt8], caseInsensitive: Bool, dictionary: Int) {
        guard let first = term.first else { return }
        let folded = term.map(Byte.lowercased)
        if seenFolded.contains(folded) { return }
        if caseInsensitive {
            seenFolded.insert(folded)
        } else {
            if seen.contains(term) { return }
            seen.insert(term)
        }
        let index = Int32(terms.count)
        let t = LiteralTerm(bytes: caseInsensitive ? folded : term, caseInsensitive: caseInsensitive, dictionary: dictionary)
        terms.append(t)
        let firsts = caseInsensitive && ByteClass.isASCIILetter(first) ? [first, first ^ 0x20] : [first]
        for b in firsts { firstBytes[Int(b)] = true }
        if Self.startsWord(first) {
            let h = term.withUnsafeBufferPointer { Self.wordHash($0.baseAddress!, $0.count, 0) }
            wordFilter[Int(h & 0xFFFF) &>> 6] |= 1 &<< (h & 63)
            Self.insert(index, of: terms, into: &byWord[h, default: []])
        } else {
            for b in firsts { Self.insert(index, of: terms, into: &byFirst[Int(b)]) }
        }
    }

    /// Puts term `index` after the terms at least as long (longest first, then dictionary order).
    private static func insert(_ index: Int32, of terms: [LiteralTerm], into list: inout [Int32]) {
        let length = terms[Int(index)].bytes.count
        list.insert(index, at: list.firstIndex { terms[Int($0)].bytes.count < length } ?? list.endIndex)
    }

    /// The longest term that occurs at the word start `i` as a whole word, as (index into `terms`,
    /// length), or nil.
    func longest(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int)? {
        let b = p[i]
        if Self.startsWord(b) {
            let h = Self.wordHash(p, n, i)
            guard wordFilter[Int(h & 0xFFFF) &>> 6] & (1 &<< (h & 63)) != 0, let ks = byWord[h] else { return nil }
            return first(ks, p, n, i)
        }
        return first(byFirst[Int(b)], p, n, i)
    }

    private func first(_ ks: [Int32], _ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int)? {
        for k in ks where terms[Int(k)].matches(p, n, i) { return (Int(k), terms[Int(k)].bytes.count) }
        return nil
    }

    /// Whether a term or a word starting with `b` is looked up by its first word.
    @inline(__always)
    static func startsWord(_ b: UInt8) -> Bool { ByteClass.isASCIILetter(b) || b >= Byte.firstLead }

    /// The hash of the folded first word at `i` (ASCII letters and bytes of multi-byte characters,
    /// at most `keyLength` bytes), the same for a term and for the text.
    static func wordHash(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> UInt64 {
        var e = i
        while e < n && e - i < keyLength && (ByteClass.isASCIILetter(p[e]) || p[e] >= Byte.firstNonASCII) { e += 1 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: keyLength) { buf in
            let q = buf.baseAddress!
            CaseFold.fold(p + i, into: q, count: e - i)
            return WordTable.hash(q, e - i)
        }
    }
}
