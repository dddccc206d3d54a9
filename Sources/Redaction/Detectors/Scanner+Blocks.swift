/// The block-at-a-time main loop. The trigger bytes of up to sixty-four bytes are found at once as a
/// bitmask (vector compares, one `pmovmskb` per sixteen bytes), and the recognisers run from that mask
/// with a trailing-zero loop: after a recogniser returns, the bits before its end are cleared, so a stop
/// costs no new vector search and no dependent reload, as `runStops()` pays for after every stop.
///
/// The loop also handles plain capitalised words itself (`ordinaryCapitalEnd`): sentence starts such as
/// "The", "Can", "I" are passed over without dispatch, and names, places and months go to the
/// gazetteer recognisers with their flags already looked up. Counts such as "3 items" are passed over
/// the same way (`shortNumberEnd`). Everything else goes through `step`, the same dispatch as
/// `runStops()`, so both loops find the same entities (property-tested).
extension Scanner {
    /// The trigger bytes among `b ..< min(b + 64, n)`, bit k for byte `b + k`, as `nextTrigger` finds
    /// them. Needs `n >= 17`: the last block or window is read overlapping the one before, never past
    /// the buffer, and the last byte goes through the trigger table.
    @inline(__always)
    func stopBits(_ b: Int) -> UInt64 {
        if b &+ 65 <= n {
            // Inside the buffer: four windows, no clamping.
            return TriggerVector.block64(UnsafeRawPointer(p + b), next: p[b &+ 64])
        }
        if n >= 65 {
            // The last block of a long input: the 64 bytes before the last one, read overlapping what
            // was classified already and shifted down to `b` (one block instead of a window loop).
            let base = n &- 65
            let shift = b &- base  // 1...64, since b + 65 > n
            let all = TriggerVector.block64(UnsafeRawPointer(p + base), next: p[n &- 1])
            var m = shift < 64 ? all &>> UInt64(shift) : 0
            if trig[Int(p[n &- 1])] != 0 { m |= 1 &<< UInt64(n &- 1 &- b) }
            return m
        }
        var m: UInt64 = 0
        let end = min(b &+ 64, n &- 1)
        var s = b
        while s < end {
            let q = min(s, n &- 17)
            let w = TriggerVector.bits(UnsafeRawPointer(p + q))
            let off = q &- b
            m |= off >= 0 ? w &<< UInt64(off) : w &>> UInt64(-off)
            s &+= 16
        }
        if n &- 1 &- b < 64 && trig[Int(p[n &- 1])] != 0 { m |= 1 &<< UInt64(n &- 1 &- b) }
        return m
    }

    /// Where scanning resumes after the capital at `i` when `capitalized(i)` would find no IBAN, bech32
    /// or hex address there, else 0 (then `step` dispatches it). That is so for a capital at a word
    /// start whose word is ASCII letters only and is not joined to more word bytes (digits, `_`,
    /// non-ASCII letters, `'`/`-` + capital). Words the Bloom filter rules out, and stop words only
    /// ("The", "What"), end there; a name, place, month or title goes on to `capitalizedWord` with the
    /// flags looked up here, as `capitalized` would after its checks. The caller has made sure that no
    /// user pattern starts with the byte (this holds for `shortNumberEnd` too), and no case-insensitive
    /// dictionary term can (see `DetectorBuilder.build`).
    @inline(__always)
    mutating func ordinaryCapitalEnd(_ i: Int) -> Int {
        // Words of up to seven letters (most sentence starts) end inside one 8-byte load: their length
        // and hash come from it without a byte loop or a length-dependent branch.
        var j = i &+ 1
        var word: UInt64? = nil
        if i &+ 8 <= n {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let len = Scanner.letterRun(w)
            if len < 8 { word = w }
            j = i &+ len
        }
        if word == nil {
            while j < n && cls[Int(p[j])] & ByteClass.alpha != 0 { j &+= 1 }
        }
        // Letters joined to more word bytes go to `capitalized`; so do an IBAN's country code and a
        // bech32 prefix ("DE89…", "BC1…", "TB1…"): their letters end at a digit.
        let e = at(j)
        if e >= Byte.firstNonASCII || e == Byte.underscore || cls[Int(e)] & ByteClass.digit != 0
            || ((e == Byte.apostrophe || e == Byte.dash) && isUpper(j &+ 1))
        {
            return 0
        }
        let len = j &- i
        if (e == Byte.colon || e == Byte.dash || e == Byte.dot) && len >= 2 && len <= 4 {
            // Two to four hex letters before `:`, or two before `-`, or four before `.`, may start a MAC
            // or IPv6 address ("AB:CD:…", "Fe80::1", "ABCD.EF01.…"): `capitalized` decides.
            var h = i
            while h < j && cls[Int(p[h])] & ByteClass.hex != 0 { h &+= 1 }
            if h == j && (e == Byte.colon || (len == 2 && e == Byte.dash) || (len == 4 && e == Byte.dot)) { return 0 }
        }
        if len > maxKeyLength { return j }
        #if _endian(little)
        let h = word.map { WordTable.hashShort($0, len) } ?? WordTable.hash(p + i, len)
        #else
        let h = WordTable.hash(p + i, len)  // `hashShort` assumes the first byte lowest
        #endif
        let v = setup.words._withUnsafeGuaranteedRef { $0.lookupMeaningful(p + i, len, hash: h) }
        if v & ~WordFlags.stop.rawValue == 0 { return j }
        return capitalizedWord(i, j, WordFlags(rawValue: v))
    }

    /// Where scanning resumes after the number at word start `s` when `numeric(s)` would pass over it
    /// and do nothing else (a count such as "3 items" or "10 minutes": fewer than seven digits, not
    /// joined to word bytes, no digit group after them, and no day-first date that can start there),
    /// else 0 (then `step` dispatches it).
    @inline(__always)
    func shortNumberEnd(_ s: Int) -> Int {
        let d = digitsEnd(s)
        if isWord(d) { return 0 }
        let sep = at(d)
        return isShortNumber(s, d, sep) && !dayMayFollow(s, d, sep) ? d : 0
    }

    /// Whether the digits `s ..< d`, not joined to word bytes and followed by `sep`, are a lone short
    /// number ("10 minutes", "12:30", "#4521"): fewer than seven digits and no digit group after them.
    /// Such a number can only start a day-first date; `numeric` and `shortNumberEnd` share the test.
    @inline(__always)
    func isShortNumber(_ s: Int, _ d: Int, _ sep: UInt8) -> Bool {
        d &- s < 7
            && !((sep == Byte.space || sep == Byte.dash || sep == Byte.dot || sep == Byte.slash) && isDigit(d &+ 1))
            && !(sep == Byte.openParen && p[s] == Byte.zero)  // "0467(94)9600" (`bracketedPhone`)
    }

    /// Whether a day-first date may start at the short number `s ..< d` (separator `sep`): a word
    /// follows it after a space or a dot, and that word may be a month or "of"/"de" before one
    /// ("3 May", "3. März", "15 de julio") — a look at its first two bytes (the month prefix filter)
    /// instead of calling `dayFirstDate`.
    @inline(__always)
    func dayMayFollow(_ s: Int, _ d: Int, _ sep: UInt8) -> Bool {
        guard d &- s <= 2 && setup.longDates && (sep == Byte.space || sep == Byte.dot || sep == Byte.dash)
            && isWord(d &+ 1)
            || isWord(d &+ 2) && sep == Byte.dot
        else { return false }
        let w = sep == Byte.dot ? d &+ 2 : d &+ 1
        let w0 = at(w) | Byte.caseBit
        return w0 == Byte.lowerO || w0 == Byte.lowerD || mayStartMonth(at(w), at(w &+ 1))
    }

    /// How many of the eight bytes of `w` (little-endian, the first byte lowest) are ASCII letters
    /// before the first one that is not: 0...8. Per byte, with no carry between bytes: case folded by
    /// setting bit 5, then `a`...`z` tested as two 7-bit range checks, and bytes >= 0x80 excluded.
    @inline(__always)
    static func letterRun(_ w: UInt64) -> Int {
        let x = (w | 0x2020_2020_2020_2020) & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = (x &+ 0x1F1F_1F1F_1F1F_1F1F) & 0x8080_8080_8080_8080  // x >= 0x61
        let atMostZ = (0xFAFA_FAFA_FAFA_FAFA &- x) & 0x8080_8080_8080_8080  // x <= 0x7A
        let letters = atLeastA & atMostZ & ~w
        return (~letters & 0x8080_8080_8080_8080).trailingZeroBitCount &>> 3
    }

    /// How many of the eight bytes of `w` (little-endian, the first byte lowest) are ASCII digits
    /// before the first one that is not: 0...8. The same per-byte range checks as `letterRun`.
    @inline(__always)
    static func digitRun(_ w: UInt64) -> Int {
        let x = w & 0x7F7F_7F7F_7F7F_7F7F
        let atLeast0 = (x &+ 0x5050_5050_5050_5050) & 0x8080_8080_8080_8080  // x >= 0x30
        let atMost9 = (0xB9B9_B9B9_B9B9_B9B9 &- x) & 0x8080_8080_8080_8080  // x <= 0x39
        let digits = atLeast0 & atMost9 & ~w
        return (~digits & 0x8080_8080_8080_8080).trailingZeroBitCount &>> 3
    }

    /// The end of the run of ASCII digits that starts at `j` (`j` itself when `p[j]` is no digit):
    /// eight bytes a step while they fit in the buffer, so a short number costs no byte loop.
    @inline(__always)
    func digitsEnd(_ j: Int) -> Int {
        var k = j
        #if _endian(little)
        while k &+ 8 <= n {
            let run = Scanner.digitRun(UInt64(littleEndian: UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self)))
            k &+= run
            if run < 8 { return k }
        }
        #endif
        while k < n && cls[Int(p[k])] & ByteClass.digit != 0 { k &+= 1 }
        return k
    }

    /// The main loop over stop bitmasks; `runStops()` for inputs shorter than one vector window.
    mutating func runBlocks() {
        if n < 17 {
            runStops()
            return
        }
        var b = 0
        while b < n {
            var m = stopBits(b)
            // The next block starts 64 bytes on unless a recogniser ran past this one. Set on the
            // (predicted) branch, not as `max(b + 64, pos)`: a conditional move would make the next
            // block's loads wait for every recogniser's result.
            var next = b &+ 64
            while m != 0 {
                let i = b &+ m.trailingZeroBitCount
                // A capital (A–Z) or a digit at a word start takes a shortcut (user patterns run in a
                // pass of their own, `userRules`).
                let b0 = p[i]
                var plain = 0
                // (A multi-byte character before goes to `step`, which decides by its class.)
                if (b0 &- Byte.upperA < 26 || b0 &- Byte.zero < 10)
                    && (i == 0 || cls[Int(p[i &- 1])] & ByteClass.word == 0)
                {
                    plain = b0 < Byte.upperA ? shortNumberEnd(i) : ordinaryCapitalEnd(i)
                }
                let pos = plain > 0 ? plain : step(i)
                let d = pos &- b
                if d >= 64 {
                    next = pos
                    break
                }
                m &= ~0 &<< UInt64(d)
            }
            b = next
        }
    }
}
