// The scanner, network: e-mail addresses, URLs and bare domains, hex addresses (MAC), IPv6 and IPv4.
extension Scanner {
    mutating func email(_ i: Int) -> Int {
        guard enabled[Int(Kind.email)] else { return i + 1 }
        // The local part: ASCII letters, digits and `._%+-'`, and the multi-byte letters of the
        // class of the first one met (`WordClass`): "jörg@", "иван@", "山田@", but not "連絡先：" or
        // "連絡先" before "james@".
        var s = i
        var local = WordClass.nonWord
        while s > 0 {
            let b = p[s - 1]
            if b < Byte.firstNonASCII {
                if cls[Int(b)] & ByteClass.alnum != 0 {
                    if local == WordClass.nonWord { local = WordClass.latin } else if local != WordClass.latin { break }
                } else if !(b == Byte.dot || b == Byte.underscore || b == Byte.percent || b == Byte.plus
                    || b == Byte.dash || b == Byte.apostrophe) {
                    break
                }
                s -= 1
                continue
            }
            guard let (cs, _, cp) = WordClass.decode(p, n, s - 1) else { break }
            let k = WordClass.of(scalar: cp)
            if k == WordClass.nonWord || (local != WordClass.nonWord && k != local) { break }
            local = k
            s = cs
        }
        while s < i && (p[s] == Byte.dot || p[s] == Byte.apostrophe) { s += 1 }
        guard s < i, p[i - 1] != Byte.dot else { return i + 1 }
        var j = i + 1
        var labels = 0
        var lastLabelAlpha = false
        var lastLabelLen = 0
        var lastLabelStart = j
        while true {
            // A label: ASCII letters, digits and `-`, or letters of one other class (an IDN label);
            // it ends where the class changes ("example.comありがとう").
            let ls = j
            var alphaOnly = true
            var label = WordClass.nonWord
            while j < n {
                let b = p[j]
                if b < Byte.firstNonASCII {
                    let cb = cls[Int(b)]
                    guard cb & ByteClass.alnum != 0 || b == Byte.dash else { break }
                    if label != WordClass.nonWord && label != WordClass.latin { break }
                    label = WordClass.latin
                    if cb & ByteClass.alpha == 0 { alphaOnly = false }
                    j += 1
                    continue
                }
                let (k, e) = wordClass(j)
                if k == WordClass.nonWord || (label != WordClass.nonWord && k != label) { break }
                label = k
                j = e
            }
            if j == ls { break }
            labels += 1
            lastLabelAlpha = alphaOnly
            lastLabelLen = j - ls
            lastLabelStart = ls
            if at(j) == Byte.dot && isAlnum(j + 1) {
                j += 1
                continue
            }
            break
        }
        // A top-level domain of letters, or an internationalised one in punycode ("xn--p1ai").
        let punycode = lastLabelLen >= 5 && matchLower(lastLabelStart, "xn--")
        guard labels >= 2, lastLabelAlpha || punycode, lastLabelLen >= 2 else { return i + 1 }
        emit(Kind.email, s, j, 1.0)
        return j
    }

    mutating func colon(_ i: Int) -> Int {
        if at(i + 1) == Byte.slash && at(i + 2) == Byte.slash {
            var s = i
            while s > 0 && (cls[Int(p[s - 1])] & ByteClass.alnum != 0 || p[s - 1] == Byte.plus
                || p[s - 1] == Byte.dash || p[s - 1] == Byte.dot) {
                s -= 1
            }
            guard i - s >= 2, isAlpha(s), enabled[Int(Kind.url)] else { return i + 3 }
            return url(s, i + 3)
        }
        var s = i
        while s > 0 && i - s < 4 && isHex(s - 1) { s -= 1 }
        if isWord(s - 1) { return i + 1 }
        if let e = hexAddress(s) { return e }
        return i + 1
    }

    mutating func dot(_ i: Int) -> Int {
        if i >= 3 && (p[i - 1] | Byte.caseBit) == Byte.lowerW && (p[i - 2] | Byte.caseBit) == Byte.lowerW
            && (p[i - 3] | Byte.caseBit) == Byte.lowerW
            && !isWord(i - 4) && at(i - 4) != Byte.dot && at(i - 4) != Byte.slash && isAlnum(i + 1)
                && enabled[Int(Kind.url)]
        {
            return url(i - 3, i + 1)
        }
        if i >= 4 && isHex(i - 1) && isHex(i - 2) && isHex(i - 3) && isHex(i - 4) && !isWord(i - 5) {
            if let e = hexAddress(i - 4) { return e }
        }
        if setup.bareDomains, let e = bareDomain(i) { return e }
        return i + 1
    }

    /// A domain name without a scheme or `www.` around the dot at `i` ("kato.com", "google.co.il",
    /// "parker.info/about"), as Presidio reports: labels of ASCII letters, digits and `-` from a word
    /// start, the last one a common top-level domain (`isCommonTLD`), and not the local part of an
    /// e-mail address or part of a longer token (a path, a key, an identifier). Reported as a URL with
    /// score 0.6, below the 0.95 of a URL with a scheme or `www.`, so that a policy can drop them by
    /// `min_score` or turn them off (`urls: {bare_domains: false}`).
    @inline(never)
    mutating func bareDomain(_ i: Int) -> Int? {
        // Most dots that get here are in version numbers ("v1.2.3"): a label after the dot starts
        // with a letter, so they end at one test.
        guard isAlpha(i + 1) else { return nil }
        // The labels after the dot first: an e-mail's local part ("ann.lee@") ends at "@".
        var j = i
        var last = i + 1
        while at(j) == Byte.dot && isAlnum(j + 1) {
            j += 1
            last = j
            while isAlnum(j) || (at(j) == Byte.dash && isAlnum(j + 1)) { j += 1 }
        }
        let a = at(j)
        if isWord(j) || a == Byte.at || a == Byte.dash || a == Byte.colon || a == Byte.backslash { return nil }
        guard isCommonTLD(last, j) else { return nil }
        var s = i
        while s > 0 && (isAlnum(s - 1) || (p[s - 1] == Byte.dash && s - 1 > 0 && isAlnum(s - 2))) { s -= 1 }
        guard s < i, isAlnum(s) else { return nil }
        let b = at(s - 1)
        // "a.b.example.com" is looked at from its first dot; "@", "/", ":" and the like put the name
        // inside something else (an address, a path, a key).
        if isWord(s - 1) || b == Byte.dot || b == Byte.at || b == Byte.slash || b == Byte.colon || b == Byte.dash
            || b == Byte.backslash || b == Byte.hash || b == Byte.dollar
            || b == Byte.percent || b == Byte.ampersand || b == Byte.equals || b == Byte.tilde || b == Byte.plus
        {
            return nil
        }
        if a == Byte.slash { return url(s, s, score: 0.6) }
        emit(Kind.url, s, j, 0.6)
        return j
    }

    /// Whether `p[s ..< e]` (any case) is a common generic or country top-level domain. Country codes
    /// that are also common file extensions (`.md`, `.py`, `.sh`, `.rs`, `.pl`, `.ai`, `.cc`) are left
    /// out: "README.md" is a file name.
    func isCommonTLD(_ s: Int, _ e: Int) -> Bool {
        let len = e - s
        guard len >= 2 && len <= 6 else { return false }
        var key: UInt64 = 0
        for k in s..<e {
            let c = p[k] | Byte.caseBit
            guard c &- Byte.lowerA < 26 else { return false }
            key = key << 8 | UInt64(c)
        }
        return Scanner.commonTLDs.contains(key)
    }

    static let commonTLDs: Set<UInt64> = {
        let names = [
            "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "co", "me", "tv", "app", "dev",
            "online", "site", "shop", "store", "tech", "cloud", "us", "uk", "de", "fr", "jp", "cn", "kr", "br", "ru",
            "es", "it", "nl", "ch", "at", "be", "se", "no", "dk", "fi", "au", "ca", "nz", "il", "eu", "mx", "ar",
            "tw", "hk", "sg", "vn", "pt", "ie", "gr", "tr", "za", "in", "th", "id", "my", "ph", "cz", "hu", "ro",
        ]
        return Set(names.map { $0.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } })
    }()

    mutating func dash(_ i: Int) -> Int {
        if i >= 2 && isHex(i - 1) && isHex(i - 2) && !isWord(i - 3) && at(i + 3) == Byte.dash {
            if let e = hexAddress(i - 2) { return e }
        }
        return i + 1
    }

    /// Where the multi-byte character at `j` ends if it continues a URL, else nil: punctuation and
    /// symbols (curly quotes, `。`, `）`) end a URL, and so does text of another script glued to its
    /// letters ("example.comありがとう"); a path may hold such text after a separator ("/wiki/東京").
    @inline(never)
    func urlCharacterEnd(_ j: Int) -> Int? {
        let (k, e) = wordClass(j)
        if k == WordClass.nonWord || (k == WordClass.other && isWord(j - 1)) { return nil }
        return e
    }

    mutating func url(_ s: Int, _ hostStart: Int, score: Float = 0.95) -> Int {
        var j = hostStart
        while j < n {
            let b = p[j]
            if b <= Byte.space || b == Byte.lessThan || b == Byte.greaterThan || b == Byte.doubleQuote
                || b == Byte.backtick || b == Byte.delete { break }
            if b >= Byte.firstNonASCII {
                guard let e = urlCharacterEnd(j) else { break }
                j = e
                continue
            }
            j += 1
        }
        var e = j
        while e > hostStart {
            let b = p[e - 1]
            if b == Byte.dot || b == Byte.comma || b == Byte.semicolon || b == Byte.colon || b == Byte.exclamation
                || b == Byte.question || b == Byte.apostrophe || b == Byte.closeBracket || b == Byte.closeBrace {
                e -= 1
            } else if b == Byte.closeParen {
                var open = 0, close = 0
                for q in hostStart..<e {
                    if p[q] == Byte.openParen { open += 1 } else if p[q] == Byte.closeParen { close += 1 }
                }
                if close > open { e -= 1 } else { break }
            } else {
                break
            }
        }
        guard e - hostStart >= 3 else { return j }
        var hasDot = false
        for q in hostStart..<e where p[q] == Byte.dot || p[q] == Byte.colon {
            hasDot = true
            break
        }
        guard hasDot else { return j }
        emit(Kind.url, s, e, score)
        return max(e, hostStart)
    }

    /// MAC (`aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff`) or IPv6 starting at `s`.
    mutating func hexAddress(_ s: Int) -> Int? {
        // MAC with ':' or '-'
        if isHex(s) && isHex(s + 1) && (at(s + 2) == Byte.colon || at(s + 2) == Byte.dash) {
            let sep = at(s + 2)
            var ok = true
            for g in 1..<6 {
                let q = s + 3 * g
                if !(at(q - 1) == sep && isHex(q) && isHex(q + 1)) {
                    ok = false
                    break
                }
            }
            let e = s + 17
            if ok && !isWord(e) && !(at(e) == sep && isHex(e + 1)) {
                // The broadcast and the all-zero address identify no device.
                var allFF = true, allZero = true
                for g in 0..<6 {
                    let q = s + 3 * g
                    if (p[q] | Byte.caseBit) != Byte.lowerF
                        || (p[q + 1] | Byte.caseBit) != Byte.lowerF { allFF = false }
                    if p[q] != Byte.zero || p[q + 1] != Byte.zero { allZero = false }
                }
                if allFF || allZero { return e }
                emit(Kind.mac, s, e, 0.95)
                return e
            }
        }
        // Cisco dotted MAC
        if at(s + 4) == Byte.dot && at(s + 9) == Byte.dot {
            var ok = true
            for off in 0..<14 where off != 4 && off != 9 && !isHex(s + off) { ok = false }
            if ok && !isWord(s + 14) && !(at(s + 14) == Byte.dot && isAlnum(s + 15)) {
                emit(Kind.mac, s, s + 14, 0.9)
                return s + 14
            }
        }
        return ipv6(s)
    }

    mutating func ipv6(_ s: Int) -> Int? {
        // Not inside a longer run of hex groups whose start failed ("text2001:db8::1", "12345:db8::1",
        // "2001::db8::1").
        guard enabled[Int(Kind.ip)], !(at(s - 1) == Byte.colon && (isHex(s - 2)
            || at(s - 2) == Byte.colon)) else { return nil }
        var j = s
        var groups = 0
        var compressed = false
        var hexDigits = 0
        if at(j) == Byte.colon {
            guard at(j + 1) == Byte.colon else { return nil }
            compressed = true
            j += 2
        }
        var end = j
        while true {
            // Embedded IPv4 tail.
            var q = j
            while isDigit(q) && q - j < 3 { q += 1 }
            if q > j && at(q) == Byte.dot && (compressed ? groups <= 5 : groups == 6) {
                if let e4 = ipv4At(j) {
                    groups += 2
                    end = e4
                    break
                }
            }
            let gs = j
            while isHex(j) && j - gs < 4 { j += 1 }
            if j == gs { break }
            if isAlnum(j) { return nil }
            hexDigits += j - gs
            groups += 1
            end = j
            if at(j) == Byte.colon && at(j + 1) == Byte.colon && !compressed {
                compressed = true
                j += 2
                end = j
                continue
            }
            if at(j) == Byte.colon && isHex(j + 1) {
                j += 1
                continue
            }
            break
        }
        let prefix = prefixLength(after: end, max: 128)
        guard groups <= 8, compressed ? groups <= 7 : groups == 8 else { return nil }
        // "::" alone (the unspecified address) is reported with a low score, as Presidio does: it is
        // as often an operator in code ("a :: b"); not after or before another colon (":::").
        let bare = groups == 0 && prefix == nil
        if bare && (at(s - 1) == Byte.colon || at(end) == Byte.colon || isWord(end) || isWord(s - 1)) { return nil }
        // An address is not the start of an invalid one: a second "::" ("2001::db8::1") or an IPv4
        // tail that failed ("::ffff:256.0.0.1").
        // Nor a hex group before a dash and more ("DB8::5555-5555-5555-4444").
        if isWord(end) || (at(end) == Byte.colon && (isHex(end + 1) || at(end + 1) == Byte.colon))
            || (at(end) == Byte.dot && isDigit(end + 1))
            || (at(end) == Byte.dash && isHex(end + 1))
        {
            return nil
        }
        // "a::b"-like fragments in code: require either 3+ groups or a compressed form with 2+ hex digits.
        if groups < 3 && hexDigits < 4 && !(compressed && at(s) == Byte.colon) { return nil }
        if at(end) == Byte.percent && isAlnum(end + 1) {  // zone index
            end += 1
            while isAlnum(end) { end += 1 }
        } else if let prefix {
            end = prefix
        }
        emit(Kind.ip, s, end, bare ? 0.1 : 0.95)
        return end
    }

    func ipv4At(_ s: Int) -> Int? {
        var j = s
        for g in 0..<4 {
            let gs = j
            while isDigit(j) && j - gs < 3 { j += 1 }
            if j == gs || digitsValue(gs, j) > 255 { return nil }
            if g < 3 {
                if at(j) != Byte.dot { return nil }
                j += 1
            }
        }
        if isWord(j) || (at(j) == Byte.dot && isDigit(j + 1)) { return nil }
        return j
    }
}
