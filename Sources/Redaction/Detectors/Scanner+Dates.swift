// The scanner, long-form dates ("July 15, 1982", "May-2021").
extension Scanner {
    /// "July 15, 1982", "Jul. 15th 1982", "July 1982", "March 3", "May-2021", "May-21".
    mutating func monthFirstDate(_ i: Int, _ we: Int) -> Int? {
        var j = we
        let dashed = at(j) == Byte.dash
        if at(j) == Byte.dot { j += 1 }
        guard at(j) == Byte.space || dashed, isDigit(j + 1) else { return nil }
        j += 1
        let ds = j
        while isDigit(j) { j += 1 }
        let dl = j - ds
        if dl == 4 {
            let y = digitsValue(ds, j)
            guard (1900...2099).contains(y), !isAlnum(j) else { return nil }
            emit(Kind.date, i, j, 0.85)
            return j
        }
        guard dl <= 2, (1...31).contains(digitsValue(ds, j)) else { return nil }
        if isOrdinal(j) { j += 2 }
        if isAlnum(j) { return nil }
        var e = j
        var q = j
        if at(q) == Byte.comma { q += 1 }
        if !dashed && at(q) == Byte.space && isDigit(q + 1) && isDigit(q + 2) && isDigit(q + 3) && isDigit(q + 4)
            && !isAlnum(q + 5)
        {
            let y = digitsValue(q + 1, q + 5)
            if (1900...2099).contains(y) { e = q + 5 }
        }
        emit(Kind.date, i, e, e == j ? 0.6 : 0.85)
        return e
    }

    /// "15 July 1982", "15th of July, 1982", "3. März 2020", "15 de julio de 1982", "5-May-2021",
    /// "21-MAY". `d` ends the day digits, `r` ends the day token (after an ordinal suffix).
    mutating func dayFirstDate(_ s: Int, _ d: Int, _ r: Int) -> Int? {
        guard setup.longDates, (1...31).contains(digitsValue(s, d)) else { return nil }
        var j = r
        let dashed = at(j) == Byte.dash && r == d
        if at(j) == Byte.dot { j += 1 }
        guard at(j) == Byte.space || dashed else { return nil }
        j += 1
        if !dashed && (matchLower(j, "of ") || matchLower(j, "de ")) { j += 3 }
        guard isWord(j), mayStartMonth(p[j], at(j + 1)) else { return nil }
        let me = wordEnd(j)
        // Only the month flag matters here, so the Bloom-filtered lookup may turn the word away.
        let f = WordFlags(rawValue: lookupMeaningful(p + j, me - j))
        guard f.contains(.month) else { return nil }
        var e = me
        var q = me
        if at(q) == Byte.dot { q += 1 }
        if at(q) == Byte.comma { q += 1 }
        if at(q) == Byte.space && matchLower(q + 1, "de ") { q += 3 }
        if (at(q) == Byte.space || (dashed && at(me) == Byte.dash && q == me)) && isDigit(q + 1) && isDigit(q + 2)
            && isDigit(q + 3) && isDigit(q + 4) && !isAlnum(q + 5)
        {
            let y = digitsValue(q + 1, q + 5)
            if (1900...2099).contains(y) { e = q + 5 }
        }
        if e == me && at(me) == Byte.dot && isLower(me - 1) == false { e = me }
        emit(Kind.date, s, e, e == me ? 0.6 : 0.85)
        return e
    }
}
