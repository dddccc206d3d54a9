// The scanner, numbers: digit groups (phones, cards, SSNs, counts, numeric dates and times) and
// phones that start with "+" or "(".
extension Scanner {
    mutating func numeric(_ s: Int) -> Int {
        let d = digitsEnd(s)
        // The digits are alphanumeric, so the token ends where the alphanumerics after them do.
        let r = skipAlnum(d)
        if d < r {
            // Mixed alphanumeric token.
            if p[s] == Byte.zero && (at(s + 1) | Byte.caseBit) == Byte.lowerX {  // 0x…
                if r - s == 42 && !isWord(r) && enabled[Int(Kind.crypto)]
                    && Checksums.ethereum(Array(UnsafeBufferPointer(start: p + s + 2, count: 40)))
                {
                    emit(Kind.crypto, s, r, 1.0)
                    return r
                }
                return skipWord(s)
            }
            if (p[s] == Byte.one || p[s] == Byte.three) && r - s >= 25 && r - s <= 35 && !isWord(r)
                && enabled[Int(Kind.crypto)]
                && Checksums.base58Check(Array(UnsafeBufferPointer(start: p + s, count: r - s)))
            {
                emit(Kind.crypto, s, r, 1.0)
                return r
            }
            if d - s <= 2 && r - d == 2 && isOrdinal(d) {
                if let e = dayFirstDate(s, d, r) { return e }
                return r
            }
            let sep = at(r)
            if sep == Byte.colon || sep == Byte.dash || sep == Byte.dot {
                if let e = hexAddress(s) { return e }
            }
            return skipWord(s)
        }
        if isWord(d) { return skipWord(d) }  // digits then non-ASCII letters
        let sep = at(d)
        // Fast exit: a lone short number can only start a day-first date; everything else needs at
        // least nine digits or a second group. "10 minutes" and "3 items" end here without the call.
        if isShortNumber(s, d, sep) {
            if dayMayFollow(s, d, sep), let e = dayFirstDate(s, d, d) { return e }
            return d
        }
        if sep == Byte.colon || ((sep == Byte.dash || sep == Byte.dot) && (d - s == 2 || d - s == 4)) {
            if let e = hexAddress(s) { return e }
        }
        if sep == Byte.openParen && p[s] == Byte.zero, let e = bracketedPhone(s, d) { return e }
        return numberGroups(s)
    }

    /// A national number with its middle group in brackets, as written in Japan: a trunk `0` and the
    /// area code, the local exchange in brackets, then the line number ("0467(94)9600",
    /// "090(7280)4993"); ten or eleven digits. `d` ends the first group, at the `(`.
    mutating func bracketedPhone(_ s: Int, _ d: Int) -> Int? {
        guard enabled[Int(Kind.phone)], d - s >= 2, d - s <= 5 else { return nil }
        let m = digitsEnd(d + 1)
        guard m - d - 1 >= 1, m - d - 1 <= 4, at(m) == Byte.closeParen, isDigit(m + 1) else { return nil }
        let e = digitsEnd(m + 1)
        let total = (d - s) + (m - d - 1) + (e - m - 1)
        guard e - m - 1 == 4, total == 10 || total == 11, !isWord(e), !(at(e) == Byte.dot
            && isDigit(e + 1)) else { return nil }
        let end = extensionAfter(e)
        emit(Kind.phone, s, end, 0.75)
        return end
    }

    func isOrdinal(_ d: Int) -> Bool {
        let a = at(d) | Byte.caseBit, b = at(d + 1) | Byte.caseBit
        return (a == Byte.lowerS && b == Byte.lowerT) || (a == Byte.lowerN && b == Byte.lowerD) || (a == Byte.lowerR
            && b == Byte.lowerD) || (a == Byte.lowerT && b == Byte.lowerH)
    }

    /// Digit groups separated by single spaces, dashes, dots or slashes, tried longest first.
    mutating func numberGroups(_ s: Int) -> Int {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 24) { buf in
            let base = buf.baseAddress!
            base.initialize(repeating: 0, count: 24)
            return numberGroups(s, lens: Fixed8(base: base), seps: Fixed8(base: base + 8), starts: Fixed8(base: base + 16))
        }
    }

    mutating func numberGroups(_ s: Int, lens: Fixed8, seps: Fixed8, starts: Fixed8) -> Int {
        var ng = 0
        var j = s
        var total = 0
        while ng < 8 {
            let gs = j
            j = digitsEnd(j)
            starts[ng] = gs
            lens[ng] = j - gs
            total += j - gs
            ng += 1
            if total > 19 { break }
            let b = at(j)
            if (b == Byte.space || b == Byte.dash || b == Byte.dot || b == Byte.slash) && isDigit(j + 1) {
                seps[ng - 1] = Int(b)
                j += 1
                continue
            }
            break
        }
        let groupsEnd = starts[ng - 1] + lens[ng - 1]
        // Part of a larger number or a price: "1,299.99", "$45", "#123".
        let before = at(s - 1)
        if (before == Byte.comma || before == Byte.dot || before == Byte.slash || before == Byte.dash)
            && isDigit(s - 2) {
            return resumeAfterFailedGroups(ng, seps: seps, starts: starts, groupsEnd)
        }
        // "£" is C2 A3 and "€" E2 82 AC in UTF-8.
        let priceOrRef = before == Byte.dollar || before == Byte.hash || (before == 0xA3 && at(s - 2) == 0xC2)
            || (before == 0xAC && at(s - 2) == 0x82)

        var k = ng
        while k >= 1 {
            defer { k -= 1 }
            let e = starts[k - 1] + lens[k - 1]
            let a = at(e)
            // A letter right after the digits ends most candidates; "T" may start a time after a date
            // and "x" a phone extension.
            let dateT = a == Byte.upperT && isDigit(e + 1)
            // (Not a lone "0" before it: "0x…" starts a hex token, an Ethereum address.)
            let phoneX = a == Byte.lowerX && isDigit(e + 1) && !(lens[k - 1] == 1 && p[starts[k - 1]] == Byte.zero)
            if isWord(e) && !dateT && !phoneX {
                if k == 1 && lens[0] <= 2 && a != 0 && isAlpha(e) { break }
                continue
            }
            let glued = dateT || phoneX
            let sep0 = UInt8(truncatingIfNeeded: seps[0])
            var uniform = true
            for g in 0..<max(0, k - 1) where seps[g] != sep0 { uniform = false }

            // IPv4, with a prefix length ("10.0.0.0/8", part of the address) or a port ("…:8080", not).
            if k == 4 && uniform && sep0 == Byte.dot && lens[0] <= 3 && lens[1] <= 3 && lens[2] <= 3 && lens[3] <= 3
                && !((a == Byte.comma || a == Byte.dot || a == Byte.dash) && isDigit(e + 1))
            {
                var ok = true
                for g in 0..<4 where digitsValue(starts[g], starts[g] + lens[g]) > 255 { ok = false }
                if ok && !contextBefore(s, 12, Context.version) {
                    let end = a == Byte.slash ? prefixLength(after: e, max: 32) ?? e : e
                    emit(Kind.ip, s, end, 0.95)
                    return end
                }
                continue
            }
            if (a == Byte.comma || a == Byte.dot || a == Byte.dash || a == Byte.slash || a == Byte.colon)
                && isDigit(e + 1) { continue }
            var sum = 0
            for g in 0..<k { sum += lens[g] }
            // Numeric dates, optionally followed by a time.
            if k == 3 && uniform && (sep0 == Byte.dash || sep0 == Byte.slash || sep0 == Byte.dot)
                && setup.numericDates && !phoneX {
                if let de = numericDate(starts, lens, sep0) {
                    let te = timeAfter(de)
                    if !(dateT && te == de) {
                        emit(Kind.date, s, te, 0.85)
                        return te
                    }
                }
            }
            // Month and year, month and day ("5/2021", "05/21"): reported with low scores, as Presidio
            // does (0.2, 0.1): as often a fraction, a ratio or "24/7".
            if k == 2 && sep0 == Byte.slash && setup.numericDates && !glued && !priceOrRef && lens[0] <= 2 {
                let a0 = digitsValue(starts[0], starts[0] + lens[0]), b0 = digitsValue(starts[1], e)
                if (1...12).contains(a0) && ((lens[1] == 4 && (1900...2099).contains(b0)) || (lens[1] == 2 && (1...31).contains(b0))) {
                    emit(Kind.date, s, e, lens[1] == 4 ? 0.2 : 0.1)
                    return e
                }
            }
            if priceOrRef || dateT { continue }
            if glued {
                if let pe = nationalPhone(s, starts, lens, seps, k, sum) { return pe }
                continue
            }
            var digits = DigitBuffer()
            if sum == 9 || sum == 10 || (sum >= 13 && sum <= 19) { digits.fill(p, starts, lens, k) }
            // Cards: 13–19 digits, one group or groups of 3–6 joined by one kind of space or dash.
            if sum >= 13 && sum <= 19 && (k == 1 || (uniform && (sep0 == Byte.space || sep0 == Byte.dash))) {
                var shapeOK = true
                if k > 1 { for g in 0..<k where lens[g] < 3 || lens[g] > 6 { shapeOK = false } }
                if k > 1 && lens[0] != 4 { shapeOK = false }
                if shapeOK && digits.check({ Checksums.plausibleCardIIN($0) && Checksums.luhn($0) }) {
                    emit(Kind.card, s, e, 1.0)
                    return e
                }
            }
            // SSN and ITIN: 3-2-4 or nine digits with context.
            if sum == 9 {
                let shaped = k == 3 && uniform && (sep0 == Byte.dash || sep0 == Byte.space || sep0 == Byte.dot)
                    && lens[0] == 3 && lens[1] == 2
                let bare = k == 1
                if shaped || bare {
                    if digits.first == Byte.nine {
                        if digits.check({ Checksums.usITIN($0) }) && (shaped || contextBefore(s, 32, Context.itin)) {
                            emit(Kind.itin, s, e, shaped ? 0.95 : 0.8)
                            return e
                        }
                    } else if digits.check({ Checksums.usSSN($0) }) && (shaped || contextBefore(s, 32, Context.ssn)) {
                        if !(shaped && sep0 == Byte.space && contextBefore(s, 24, Context.phone)
                            && !contextBefore(s, 32, Context.ssn)) {
                            emit(Kind.ssn, s, e, shaped ? 0.95 : 0.8)
                            return e
                        }
                    }
                }
            }
            // NHS numbers: 3-3-4 or ten digits, modulus 11, and context or the NHS spacing.
            if sum == 10 && (k == 1 || (k == 3 && uniform && (sep0 == Byte.space || sep0 == Byte.dash)
                && lens[0] == 3 && lens[1] == 3))
                && enabled[Int(Kind.nhs)] && digits.check({ Checksums.ukNHS($0) })
            {
                let ctx = contextBefore(s, 48, Context.nhs)
                // The NHS spacing, or dashes where a US number cannot be one (NANP area and exchange
                // codes start with 2–9: "401-023-2137").
                let spaced = k == 3 && sep0 == Byte.space
                let dashed = k == 3 && sep0 == Byte.dash && !(p[s] >= Byte.two && p[starts[1]] >= Byte.two)
                if ctx || ((spaced || dashed) && !contextBefore(s, 32, Context.phone)) {
                    emit(Kind.nhs, s, e, ctx ? 0.95 : (spaced ? 0.7 : 0.6))
                    return e
                }
            }
            // National phone formats.
            if let pe = nationalPhone(s, starts, lens, seps, k, sum) {
                return pe
            }
            // Nine digits that are nothing else, bare or as 3-6 / 5-4 with a dash: an SSN or ITIN
            // without context, reported with Presidio's low scores (0.3, 0.05).
            let weakShape = k == 2 && sep0 == Byte.dash && ((lens[0] == 3 && lens[1] == 6) || (lens[0] == 5
                && lens[1] == 4))
            if sum == 9 && (k == 1 || weakShape) {
                let itin = digits.first == Byte.nine
                if itin ? digits.check({ Checksums.usITIN($0) }) : digits.check({ Checksums.usSSN($0) }) {
                    emit(itin ? Kind.itin : Kind.ssn, s, e, k == 1 ? 0.3 : 0.05)
                    return e
                }
            }
        }
        // "15 July 1982", "3. März 2020", "15 de julio de 1982"
        if lens[0] <= 2 && setup.longDates, let e = dayFirstDate(s, s + lens[0], s + lens[0]) { return e }
        return resumeAfterFailedGroups(ng, seps: seps, starts: starts, groupsEnd)
    }

    /// Where scanning resumes when no candidate that starts with the first of `ng` digit groups
    /// matched: at the space before the first later group that follows a space, so that a number
    /// there is tried from its own start ("since 1982 192.168.1.1", "ref 77 4111 1111 1111 1111",
    /// "in 2024 536-90-4128" — the groups after the year were passed over and the address, card or
    /// SSN missed); else at the separator before the last group when letters follow it, so that
    /// the token it starts is tried ("31/0x5aAe…", an Ethereum address); else after all the groups
    /// (a later group after `-`, `.` or `/` and a digit is part of the same number, which
    /// `numberGroups` refuses to start inside).
    func resumeAfterFailedGroups(_ ng: Int, seps: Fixed8, starts: Fixed8, _ groupsEnd: Int) -> Int {
        for g in 1..<max(1, ng) where seps[g - 1] == Byte.space { return starts[g] - 1 }
        if ng > 1 && isAlpha(groupsEnd) { return starts[ng - 1] - 1 }
        return groupsEnd
    }

    /// The end of a prefix length after the `/` at `e` ("/24", at most `max`), or nil when none is there
    /// (then the address ends at `e`: "10.0.0.0/123").
    func prefixLength(after e: Int, max: Int) -> Int? {
        guard at(e) == Byte.slash, isDigit(e + 1) else { return nil }
        let pe = digitsEnd(e + 1)
        guard pe - e - 1 <= 3, digitsValue(e + 1, pe) <= max, !isWord(pe), !(at(pe) == Byte.dot && isDigit(pe + 1))
        else { return nil }
        return pe
    }

    func numericDate(_ starts: Fixed8, _ lens: Fixed8, _ sep: UInt8) -> Int? {
        let a = digitsValue(starts[0], starts[0] + lens[0])
        let b = digitsValue(starts[1], starts[1] + lens[1])
        let c3 = digitsValue(starts[2], starts[2] + lens[2])
        let end = starts[2] + lens[2]
        if lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2 {
            if (1900...2099).contains(a) && (1...12).contains(b) && (1...31).contains(c3) { return end }
            return nil
        }
        if lens[0] <= 2 && lens[1] <= 2 && (lens[2] == 4 || (lens[2] == 2 && sep != Byte.dash)) {
            if lens[2] == 4 && !(1900...2099).contains(c3) { return nil }
            let dm = (1...31).contains(a) && (1...12).contains(b)
            let md = (1...12).contains(a) && (1...31).contains(b)
            if dm || md { return end }
        }
        return nil
    }

    /// Extends a date with a following time: `T10:22`, ` 10:22:01`, `.123`, `Z` or `±hh:mm`.
    func timeAfter(_ e: Int) -> Int {
        let b = at(e)
        guard b == Byte.upperT || b == Byte.space else { return e }
        var j = e + 1
        guard isDigit(j), isDigit(j + 1), at(j + 2) == Byte.colon, isDigit(j + 3), isDigit(j + 4) else { return e }
        j += 5
        if at(j) == Byte.colon && isDigit(j + 1) && isDigit(j + 2) {
            j += 3
            if at(j) == Byte.dot && isDigit(j + 1) {
                j += 1
                while isDigit(j) { j += 1 }
            }
        }
        if at(j) == Byte.upperZ {
            j += 1
        } else if (at(j) == Byte.plus || at(j) == Byte.dash) && isDigit(j + 1) && isDigit(j + 2) {
            j += 3
            if at(j) == Byte.colon && isDigit(j + 1) && isDigit(j + 2) { j += 3 } else if isDigit(j)
                && isDigit(j + 1) { j += 2 }
        }
        if isAlnum(j) { return e }
        return j
    }

    mutating func nationalPhone(_ s: Int, _ starts: Fixed8, _ lens: Fixed8, _ seps: Fixed8, _ k: Int, _ total: Int) -> Int? {
        guard enabled[Int(Kind.phone)] else { return nil }
        for g in 0..<max(0, k - 1) where seps[g] == Byte.slash { return nil }
        let e = starts[k - 1] + lens[k - 1]
        let lead0 = p[s] == Byte.zero
        var ok = false
        var score: Float = 0.75
        let idd = lead0 && at(s + 1) == Byte.zero  // "00" international prefix
        if k >= 2 && total >= 10 && (total <= 12 || (idd && total <= 15)) {
            if lead0 {
                ok = true
            } else if k == 3 && lens[0] == 3 && lens[1] == 3 && lens[2] == 4 {
                // NANP: area code and exchange start with 2–9.
                ok = p[s] >= Byte.two && p[starts[1]] >= Byte.two
            } else if k == 4 && lens[0] == 1 && p[s] == Byte.one && lens[1] == 3 && lens[2] == 3 && lens[3] == 4 {
                ok = p[starts[1]] >= Byte.two && p[starts[2]] >= Byte.two
            } else if k == 2 && lens[0] == 5 && lens[1] == 5 {
                ok = true
            } else if contextBefore(s, 32, Context.phone) {
                ok = true
            }
        } else if k == 1 && (total == 10 || total == 11) {
            if at(s - 1) == Byte.equals {  // key=value: an id or a timestamp
                ok = false
            } else if contextBefore(s, 16, Context.phone) {
                ok = true
            } else if lead0 {
                ok = true
                score = 0.6
            }
        } else if k == 1 && total == 9 && lead0 && at(s - 1) != Byte.equals && contextBefore(s, 32, Context.phone) {
            // A nine-digit national number written without separators after a context word (Thai
            // "โทร：035043686"; the window is wider than for ten digits: Thai letters take three bytes).
            ok = true
            score = 0.6
        } else if k == 2 && total == 7 && lens[0] == 3 && seps[0] == Byte.dash && contextBefore(s, 32, Context.phone) {
            ok = true
        } else if k >= 2 && total >= 8 && total <= 9 && lead0 && contextBefore(s, 32, Context.phone) {
            ok = true
        } else if k == 3 && total == 9 && lead0 && !idd && lens[0] <= 2 && lens[2] == 4 && seps[0] != Byte.dot
            && !((at(e) == Byte.space || at(e) == Byte.dash) && isDigit(e + 1))
        {
            // Nine-digit national numbers with a one- or two-digit trunk and area code: Thai
            // "0 2123 4567", "02 123 4567", Seoul "02-123-4567"; not the start of a longer run of
            // groups ("0 4111 1111 1111 1111" is a card after a zero).
            ok = true
            for g in 1..<max(1, k - 1) where seps[g] != seps[0] { ok = false }
            score = 0.6
        }
        guard ok else { return nil }
        let end = extensionAfter(e)
        emit(Kind.phone, s, end, score)
        return end
    }

    /// Extends a phone number with ` x123`, ` ext. 123`, ` extension 123` or ` #123`.
    func extensionAfter(_ e: Int) -> Int {
        var j = e
        if at(j) == Byte.space || at(j) == Byte.comma { j += 1 }
        if at(j) == Byte.space { j += 1 }
        let b = at(j) | Byte.caseBit
        if b == Byte.lowerX && isDigit(j + 1) {
            j += 1
        } else if b == Byte.lowerX && at(j + 1) == Byte.space && isDigit(j + 2) {
            j += 2
        } else if b == Byte.lowerE && (at(j + 1) | Byte.caseBit) == Byte.lowerX
            && (at(j + 2) | Byte.caseBit) == Byte.lowerT {
            j += 3
            if matchLower(j, "ension") { j += 6 }
            if at(j) == Byte.dot { j += 1 }
            if at(j) == Byte.colon { j += 1 }
            if at(j) == Byte.space { j += 1 }
        } else if at(j) == Byte.hash && isDigit(j + 1) {
            j += 1
        } else {
            return e
        }
        let ds = j
        while isDigit(j) && j - ds < 6 { j += 1 }
        if j == ds || isAlnum(j) { return e }
        return j
    }

    func matchLower(_ j: Int, _ word: StaticString) -> Bool {
        let len = word.utf8CodeUnitCount
        let w = word.utf8Start
        for t in 0..<len where (at(j + t) | Byte.caseBit) != w[t] { return false }
        return true
    }

    // MARK: Phones that start with "+" or "("

    mutating func plus(_ i: Int) -> Int {
        guard enabled[Int(Kind.phone)], isDigit(i + 1), at(i + 1) != Byte.zero, !isWord(i - 1) else { return i + 1 }
        var j = i + 1
        var digits = 0
        var groups = 0
        var countryCode = 0
        while true {
            if at(j) == Byte.openParen {  // "(0)" or "(555)"
                var q = j + 1
                while isDigit(q) { q += 1 }
                if at(q) != Byte.closeParen || q - j - 1 == 0 || q - j - 1 > 4 { break }
                if !(q - j - 1 == 1 && at(j + 1) == Byte.zero) { digits += q - j - 1 }
                j = q + 1
                if at(j) == Byte.space || at(j) == Byte.dash { j += 1 }
                continue
            }
            let gs = j
            while isDigit(j) { j += 1 }
            if j == gs { break }
            digits += j - gs
            groups += 1
            if groups == 1 { countryCode = j - gs }
            if digits > 15 { return i + 1 }
            let b = at(j)
            // With eleven digits (a whole number with its country code, one to three digits) a group
            // after a space is another number: "+44 20 7946 0958 4111 1111 1111 1111", "… 0958 0x5aAe…".
            if (b == Byte.space || b == Byte.dash || b == Byte.dot) && (isDigit(j + 1) || at(j + 1) == Byte.openParen)
                && !(b == Byte.space && digits >= 11 && countryCode <= 3)
            {
                j += 1
                continue
            }
            if b == Byte.openParen { continue }
            break
        }
        while j > i && !isDigit(j - 1) { j -= 1 }
        guard digits >= 8 && digits <= 15, !isAlnum(j) || (at(j) == Byte.lowerX && isDigit(j + 1)) else { return i + 1 }
        let end = extensionAfter(j)
        emit(Kind.phone, i, end, 0.85)
        return end
    }

    mutating func lparen(_ i: Int) -> Int {
        guard enabled[Int(Kind.phone)], isDigit(i + 1) else { return i + 1 }
        var q = i + 1
        while isDigit(q) { q += 1 }
        let areaLen = q - i - 1
        guard at(q) == Byte.closeParen, areaLen >= 2, areaLen <= 5 else { return i + 1 }
        var j = q + 1
        if at(j) == Byte.space || at(j) == Byte.dash { j += 1 }
        var digits = areaLen
        var groups = 0
        while true {
            let gs = j
            while isDigit(j) { j += 1 }
            if j == gs { break }
            digits += j - gs
            groups += 1
            let b = at(j)
            // With ten digits a group after a space is another number ("(415) 555-2671 15 July").
            if (b == Byte.space || b == Byte.dash || b == Byte.dot) && isDigit(j + 1) && groups < 4
                && !(b == Byte.space && digits >= 10) {
                j += 1
                continue
            }
            break
        }
        while j > q && !isDigit(j - 1) { j -= 1 }
        guard groups >= 1, digits >= 9, digits <= 12, !isAlnum(j) || (at(j) == Byte.lowerX
            && isDigit(j + 1)) else { return i + 1 }
        let end = extensionAfter(j)
        emit(Kind.phone, i, end, 0.8)
        return end
    }
}
