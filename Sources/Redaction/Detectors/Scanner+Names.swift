// The scanner, capitalised words: IBANs, person names, places and user dictionary terms.
extension Scanner {
    /// The end of the word of letters that starts at `i`: ASCII letters and letters of the scripts
    /// written with spaces, or letters of one other script (`WordClass`: "東京" in "Tokyo東京です" is a
    /// word of its own). Punctuation ends a word (’ “ … « NBSP); an en dash between capitals joins one.
    func wordEnd(_ i: Int) -> Int {
        var j = i
        let k = i < n && p[i] >= Byte.firstNonASCII ? wordClass(i).0 : WordClass.latin
        while j < n {
            let b = p[j]
            if b < Byte.firstNonASCII {
                if k == WordClass.latin && cls[Int(b)] & ByteClass.alpha != 0 {
                    j += 1
                } else if k == WordClass.latin && (b == Byte.apostrophe || b == Byte.dash) && isUpper(j + 1) {
                    j += 1  // O'Brien, Jean-Luc
                } else {
                    break
                }
                continue
            }
            // E2 80 93: an en dash (U+2013) between capitals.
            if b == 0xE2 && at(j + 1) == 0x80 && at(j + 2) == 0x93 && isUpper(j + 3) && k == WordClass.latin {
                j += 3
                continue
            }
            let (c, e) = wordClass(j)
            if c != k || c == WordClass.nonWord { break }
            j = e
        }
        return j
    }

    mutating func capitalized(_ i: Int) -> Int {
        // IBAN: two capitals and two check digits.
        if isUpper(i) && isUpper(i + 1) && isDigit(i + 2) && isDigit(i + 3) {
            if let e = iban(i) { return e }
            return skipWord(i)
        }
        // "BC1…" / "TB1…": a bech32 address in capitals.
        if (p[i] == Byte.upperB && at(i + 1) == Byte.upperC || p[i] == Byte.upperT && at(i + 1) == Byte.upperB)
            && at(i + 2) == Byte.one
        {
            let e = skipAlnum(i)
            if e - i >= 14 && Checksums.bech32(UnsafeBufferPointer(start: p + i, count: e - i)) {
                emit(Kind.crypto, i, e, 1.0)
                return e
            }
        }
        if isHex(i) && isHex(i + 1) {
            var h = i
            while isHex(h) && h - i < 4 { h += 1 }
            if at(h) == Byte.colon || (h == i + 2 && at(h) == Byte.dash) || (h == i + 4 && at(h) == Byte.dot) {
                if let e = hexAddress(i) { return e }
            }
        }
        let we = wordEnd(i)
        if we == i || isDigit(we) || at(we) == Byte.underscore { return skipWord(i) }
        return capitalizedWord(i, we, WordFlags(rawValue: lookupMeaningful(p + i, we - i)))
    }

    /// The rest of `capitalized(i)` once the word `i ..< we` and its gazetteer flags are known (the
    /// main loop's capital fast path enters here with the flags it looked up).
    @inline(__always)
    mutating func capitalizedWord(_ i: Int, _ we: Int, _ f: WordFlags) -> Int {
        if setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm),
           let e = userTerm(i, we, f.rawValue) { return e }
        if f.isEmpty { return we }
        if f.contains(.month) && setup.longDates, let e = monthFirstDate(i, we) { return e }
        if f.contains(.stop) && !f.contains(.locationPrefix) && !f.contains(.location) { return we }
        if f.contains(.title) { return titledName(i, we) }
        let locCtx = (f.contains(.location) || f.contains(.locationPrefix)) && contextBefore(i, 14, Context.locationBefore)
        if locCtx, let e = location(i, we, f, true) { return e }
        if f.contains(.firstName), let e = personFrom(i, we, f) { return e }
        if f.contains(.location) || f.contains(.locationPrefix), let e = location(i, we, f, false) { return e }
        return we
    }

    /// An IBAN at `i`: reported and its end returned when valid. An invalid one of twelve characters
    /// or more is passed over whole (its end returned, nothing reported), so that its digit groups are
    /// not read as a phone or card number ("KW81 CBKU 0000 0000 0000 1234 5601 02"); nil otherwise.
    mutating func iban(_ i: Int) -> Int? {
        guard enabled[Int(Kind.iban)], let len = Checksums.ibanLength(p[i], p[i + 1]) else { return nil }
        // The alphanumerics without their spaces, gathered in stack memory (IBANs have at most 34).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { chars -> Int? in
            var count = 0
            var j = i
            var lastChar = i
            // Groups of four after spaces or dashes, one kind throughout.
            var sep: UInt8 = 0
            while j < n && count < len {
                let b = p[j]
                let cb = cls[Int(b)]
                if cb & (ByteClass.digit | ByteClass.upper) != 0 {
                    chars[count] = b
                    count += 1
                    j += 1
                    lastChar = j
                } else if (b == Byte.space || b == Byte.dash) && (sep == 0 || sep == b) && count % 4 == 0 && count > 0
                    && isAlnum(j + 1)
                {
                    sep = b
                    j += 1
                } else {
                    break
                }
            }
            guard count == len, !isAlnum(lastChar),
                Checksums.ibanMod97(UnsafeBufferPointer(rebasing: chars[0..<count]))
            else { return count >= 12 ? lastChar : nil }
            emit(Kind.iban, i, lastChar, 1.0)
            return lastChar
        }
    }

    /// The end of the word after one space at `e`, or nil (a phrase's next word).
    func nextWordEnd(_ e: Int) -> Int? {
        guard at(e) == Byte.space, isWord(e + 1) else { return nil }
        let nw = wordEnd(e + 1)
        return nw > e + 1 ? nw : nil
    }

    /// The next capitalised word after one space, or nil.
    func nextCapitalized(_ e: Int) -> (Int, Int)? {
        // Or a capital of Latin-1 or Latin Extended-A, whose lead bytes are C3–C5.
        guard at(e) == Byte.space, isUpper(e + 1) || (at(e + 1) >= 0xC3 && at(e + 1) <= 0xC5) else { return nil }
        let we = wordEnd(e + 1)
        guard we > e + 2, !isDigit(we) else { return nil }
        return (e + 1, we)
    }

    /// A title ("Mr", "Dr.") and the one or two capitalised words after it as a person; when the next
    /// word starts a user dictionary term, scanning resumes after the title instead.
    mutating func titledName(_ i: Int, _ we: Int) -> Int {
        var e = we
        if at(e) == Byte.dot { e += 1 }
        guard let (s1, e1) = nextCapitalized(e) else { return e }
        var end = e1
        let f1 = WordFlags(rawValue: lookup(p + s1, e1 - s1))
        if f1.contains(.stop) || f1.contains(.month) || startsUserTerm(s1, e1, f1) { return e }
        if let (s2, e2) = nextCapitalized(e1) {
            let f2 = WordFlags(rawValue: lookup(p + s2, e2 - s2))
            if !f2.contains(.stop) && !f2.contains(.month) && !startsUserTerm(s2, e2, f2) { end = e2 }
        }
        emit(Kind.person, s1, end, 0.85)
        return end
    }

    mutating func personFrom(_ i: Int, _ we: Int, _ f: WordFlags) -> Int? {
        var e = we
        var score: Float = 0
        // Optional middle initial ("John F. Kennedy") or surname particles ("Indy van Ham", "María de la Cruz").
        var probe = e
        if at(probe) == Byte.space && isUpper(probe + 1) && at(probe + 2) == Byte.dot && at(probe + 3) == Byte.space {
            probe += 3
        }
        var particles = 0
        while particles < 3 && at(probe) == Byte.space && isLower(probe + 1) {
            let pe = wordEnd(probe + 1)
            // From the flat arena: a closure over the word arrays retained and released each one.
            guard Context.particles.containsExactly(p, probe + 1, pe - probe - 1) else { break }
            probe = pe
            particles += 1
        }
        if let (s2, e2) = nextCapitalized(probe), case let f2 = WordFlags(rawValue: lookup(p + s2, e2 - s2)),
           !startsUserTerm(s2, e2, f2)
        {
            if f2.contains(.lastName) || (f2.contains(.firstName) && !f2.contains(.ambiguous)) || (particles > 0 && !f2.contains(.stop)) {
                e = e2
                score = 0.9
            } else if !f2.contains(.stop) && !f2.contains(.month) && !f2.contains(.location) && !f.contains(.ambiguous)
                && e2 - s2 >= 3
            {
                e = e2
                score = 0.7
            }
            if score > 0, let (s3, e3) = nextCapitalized(e) {
                let f3 = WordFlags(rawValue: lookupMeaningful(p + s3, e3 - s3))
                if f3.contains(.lastName) && !f3.contains(.stop) && !startsUserTerm(s3, e3, f3) { e = e3 }
            }
        }
        if score == 0 {
            // A first name alone needs a context word before it, or a speech verb or comma after it.
            if contextBefore(i, 16, Context.personBefore) {
                score = 0.75
            } else if !f.contains(.ambiguous) && (at(we) == Byte.comma || at(we) == Byte.colon) && i > 0 {
                score = 0.6
            } else if !f.contains(.ambiguous) && at(we) == Byte.space
                && (matchLower(we + 1, "said") || matchLower(we + 1, "wrote") || matchLower(we + 1, "asked")
                    || matchLower(we + 1, "says") || matchLower(we + 1, "will ") || matchLower(we + 1, "is "))
            {
                score = 0.6
            }
        }
        guard score > 0 else { return nil }
        emit(Kind.person, i, e, score)
        return e
    }

    mutating func location(_ i: Int, _ we: Int, _ f: WordFlags, _ context: Bool) -> Int? {
        var best = f.contains(.location) ? we : -1
        var bestFlags = f
        if f.contains(.locationPrefix) {
            var e = we
            for _ in 0..<4 {
                guard let nw = nextWordEnd(e) else { break }
                e = nw
                let pf = WordFlags(rawValue: lookupMeaningful(p + i, e - i))
                if pf.contains(.location) {
                    best = e
                    bestFlags = pf
                }
                if !pf.contains(.locationPrefix) && e - i > maxKeyLength { break }
            }
        }
        guard best > 0 else { return nil }
        if bestFlags.contains(.ambiguous) && !context { return nil }
        emit(Kind.location, i, best, context ? 0.85 : 0.7)
        return best
    }

    /// The dictionary term, if any, that starts with the word at `i`, whose first byte the main loop
    /// does not look up (`DetectorConfig.lookupFirst`: a lowercase letter, or the capital of a folded
    /// key's first letter). Letters joined to a digit or `_` start no term (a bech32 address "bc1…").
    mutating func lookUpUserTerm(_ i: Int) {
        let we = wordEnd(i)
        guard we > i, !isDigit(we), at(we) != Byte.underscore else { return }
        let f = WordFlags(rawValue: lookupMeaningful(p + i, we - i))
        if setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm) { _ = userTerm(i, we, f.rawValue) }
    }

    /// Reports the longest user dictionary term that starts at `i` (see `userTermEnd`) and returns its
    /// end, or nil.
    mutating func userTerm(_ i: Int, _ we: Int, _ first: UInt32) -> Int? {
        guard let (end, value) = userTermEnd(i, we, first) else { return nil }
        let dict = Int(value >> 16)
        guard dict < cfg.dictionaries.count else { return nil }
        let d = cfg.dictionaries[dict]
        emit(d.kind, i, end, score(d.score, d.context, before: i))
        return end
    }

    /// The end and flags of the longest user dictionary term that starts at `i`, whose first word ends
    /// at `we` and has the flags `first` in `words`: exact terms from `words`, terms of
    /// case-insensitive dictionaries from `DetectorConfig.folded` over the folded text (`CaseFold`).
    /// At equal length the exact term wins; a term in several dictionaries was given the first one's
    /// index when the policy compiled. Nil when none starts there.
    func userTermEnd(_ i: Int, _ we: Int, _ first: UInt32) -> (Int, UInt32)? {
        var (best, bestValue) = phrase(i, we, first) { e in lookup(p + i, e - i) }
        if setup.hasFolded && mayStartKey(i), let folded = setup.config._withUnsafeGuaranteedRef({ $0.foldedRef }) {
            let maxLen = folded._withUnsafeGuaranteedRef { $0.maxKeyLength }
            if we - i <= maxLen {
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLen) { buf in
                    let q = buf.baseAddress!
                    var done = 0
                    // Folds the text up to `e` (lazily: most words end the phrase) and looks it up.
                    func look(_ e: Int) -> UInt32 {
                        let len = e - i
                        guard len <= maxLen else { return 0 }
                        CaseFold.fold(p + i + done, into: q + done, count: len - done)
                        done = len
                        return folded._withUnsafeGuaranteedRef { $0.lookup(q, len) }
                    }
                    let (e, v) = phrase(i, we, look(we), look)
                    if e > best { (best, bestValue) = (e, v) }
                }
            }
        }
        return best > 0 ? (best, bestValue) : nil
    }

    /// Whether a user dictionary term starts with the word `s ..< e`, whose flags in `words` are `f`
    /// (then the name recognisers leave that word to it).
    func startsUserTerm(_ s: Int, _ e: Int, _ f: WordFlags) -> Bool {
        guard setup.hasFolded || f.contains(.userPrefix) || f.contains(.userTerm) else { return false }
        return userTermEnd(s, e, f.rawValue) != nil
    }

    /// The end and flags of the longest term of a table that starts at `i`: its first word ends at
    /// `we` with the flags `first`; `look(e)` gives the flags of `i ..< e`. Phrases run up to seven
    /// words joined by single spaces; (-1, 0) when no term starts there.
    func phrase(_ i: Int, _ we: Int, _ first: UInt32, _ look: (Int) -> UInt32) -> (Int, UInt32) {
        var best = -1
        var bestValue: UInt32 = 0
        if first & WordFlags.userTerm.rawValue != 0 { (best, bestValue) = (we, first) }
        guard first & WordFlags.userPrefix.rawValue != 0 else { return (best, bestValue) }
        var e = we
        for _ in 0..<6 {
            guard let nw = nextWordEnd(e) else { break }
            e = nw
            let v = look(e)
            if v & WordFlags.userTerm.rawValue != 0 { (best, bestValue) = (e, v) }
        }
        return (best, bestValue)
    }
}
