import Foundation

/// The redaction engine: detection plus de-identification under one policy and (optionally) one key.
///
/// The pipeline builds one `Redactor` per topology and calls it per record; it is immutable and
/// `Sendable`, so one instance serves every worker.
///
/// ```swift
/// let redactor = try Redactor(policy: policy, keys: keys)
/// let clean = redactor.redact(text: "mail me at ann@example.com")   // "mail me at <EMAIL_ADDRESS>"
/// let hits = redactor.entities(in: line)                             // code-point offsets
/// let record = try redactor.redact(record: json)                     // fields + free text
/// ```
public final class Redactor: @unchecked Sendable {
    public let policy: RedactionPolicy
    let keys: RedactionKeys?
    let config: DetectorConfig
    private let triggerTable: UnsafeMutablePointer<UInt8>
    private let classTable: UnsafeMutablePointer<UInt8>
    /// `config.kinds` in memory the redactor owns, read per entity without retaining the array.
    private let kindTable: UnsafeMutablePointer<EntityType>
    private let minScore: Float
    /// Everything a scan reads from the configuration, built once (see `ScanSetup`).
    private let setup: ScanSetup
    /// Per kind index: the replacement when the operator does not depend on the value (`replace`,
    /// `redact`, `drop`), so free text is rendered without building a `String` per match; nil
    /// for value-dependent operators.
    private let fixedReplacement: [[UInt8]?]
    /// Whether the policy has field rules, so a record walk can skip the rule look-up per field.
    let hasFieldRules: Bool
    /// The `scan` paths' segments when the policy has no field rules and every scan path is keys,
    /// indices and `*` only (at most 64 paths): records are then walked along those paths alone
    /// (`scanAlong`), without visiting other fields or building a location. Nil otherwise.
    let scanPaths: [[JSONPath.Segment]]?
    /// Whether the policy has neither field rules nor scan paths: every string of a record is scanned
    /// and nothing else changes, so records are walked without a location (`scanEvery`).
    let scansEverything: Bool
    /// `policy.allow` compiled; nil when it is empty.
    private let allowList: AllowList?
    /// `allowList != nil`, as a plain flag: the scan path tests it per record without loading the list.
    private let hasAllowList: Bool

    /// Adds a dictionary term (words split at spaces, joined by one) to `table`: its leading words as
    /// prefixes, the whole as a term of dictionary `index`. A term already in an earlier dictionary
    /// keeps that one (the first dictionary that lists it names it).
    private static func insert(term: [UInt8], dictionary index: UInt32, into table: inout WordTable) {
        let words = term.split(separator: 32)
        guard !words.isEmpty else { return }
        var prefix: [UInt8] = []
        for w in words.dropLast() {
            if !prefix.isEmpty { prefix.append(32) }
            prefix += w
            table.insert(prefix, WordFlags.userPrefix.rawValue)
        }
        let key = Array(words.joined(separator: [32]))
        if table.lookup(key) & WordFlags.userTerm.rawValue != 0 { return }
        table.insert(key, WordFlags.userTerm.rawValue | index << 16)
    }

    /// Compiles the policy. Throws when the policy is inconsistent or an operator needs a key that
    /// was not given. Error messages never contain record values.
    public init(policy: RedactionPolicy = .default, keys: RedactionKeys? = nil) throws(RedactionError) {
        self.policy = policy
        self.keys = keys
        self.hasFieldRules = !policy.fields.isEmpty
        self.scansEverything = policy.fields.isEmpty && policy.scan == nil
        self.allowList = AllowList(terms: policy.allow, caseInsensitive: policy.allowCaseInsensitive)
        self.hasAllowList = allowList != nil
        if policy.fields.isEmpty, let scan = policy.scan, scan.count <= 64, !scan.contains(where: \.hasDescendant) {
            self.scanPaths = scan.map(\.segments)
        } else {
            self.scanPaths = nil
        }
        if policy.needsKey && keys == nil {
            throw .missingKey(
                "the policy uses pseudonym or encrypt; set \(RedactionKeys.environmentVariable) or \(RedactionKeys.fileVariable)")
        }
        let words = Gazetteer.build(policy: policy)
        var cfg = DetectorBuilder(words: words)
        for (i, t) in EntityType.builtIn.enumerated() { cfg.enabled[i] = policy.entities.contains(t) }
        cfg.numericDates = policy.detectNumericDates
        cfg.longDates = policy.detectLongDates
        cfg.bareDomains = policy.detectBareDomains
        for spec in policy.patterns where policy.entities.contains(EntityType(spec.name)) {
            let kind = cfg.kindIndex(of: EntityType(spec.name))
            var p = try UserPattern(name: spec.name, pattern: spec.pattern, kind: kind, score: Float(spec.score),
                                    wordBoundary: spec.wordBoundary)
            p.context = Context.rule(words: spec.context, window: spec.contextWindow, score: spec.score(withContext: true))
            cfg.patterns.append(p)
            for b in 0..<256 where p.first[b] { cfg.patternFirst[b] = true }
        }
        for spec in policy.dictionaries where policy.entities.contains(EntityType(spec.name)) {
            let kind = cfg.kindIndex(of: EntityType(spec.name))
            let dictIndex = UInt32(cfg.dictionaries.count)
            cfg.dictionaries.append(UserDictionary(
                kind: kind, score: Float(spec.score),
                context: Context.rule(words: spec.context, window: spec.contextWindow, score: spec.score(withContext: true))))
            for term in spec.terms {
                let first: UInt8?
                // A case-insensitive term also in its lower, UPPER and Capitalised spellings, for the
                // letters `CaseFold` leaves alone.
                let spellings = spec.caseInsensitive
                    ? [term, term.lowercased(), term.uppercased(), term.capitalized] : [term]
                if !LiteralTerm.fitsWordTable(Array(term.utf8), caseInsensitive: spec.caseInsensitive) {
                    for s in spellings {
                        cfg.literals.add(Array(s.utf8), caseInsensitive: spec.caseInsensitive, dictionary: Int(dictIndex))
                    }
                    continue
                } else if spec.caseInsensitive {
                    for s in Set(spellings) {
                        Self.insert(term: CaseFold.fold(s), dictionary: dictIndex, into: &cfg.folded)
                    }
                    first = CaseFold.fold(term).first
                } else {
                    Self.insert(term: Array(term.utf8), dictionary: dictIndex, into: &cfg.words)
                    first = term.utf8.first
                }
                // A key that starts lowercase is looked up in the user-rule pass, a case-insensitive one
                // at its capital too (`DetectorBuilder.lookupFirst`).
                if let f = first, (97...122).contains(f) {
                    cfg.lookupFirst[Int(f)] = true
                    if spec.caseInsensitive { cfg.lookupFirst[Int(f) - 32] = true }
                }
            }
        }
        let config = cfg.build()
        self.config = config
        self.minScore = Float(policy.minScore)
        fixedReplacement = config.kinds.map { type -> [UInt8]? in
            switch policy.operator(for: type) {
            case .replace, .redact, .drop:
                return Array(Operators.apply(policy.operator(for: type), type: type, value: "", keys: keys).utf8)
            default:
                return nil
            }
        }
        let trig = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        let cls = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for i in 0..<256 {
            trig[i] = config.trigger[i]
            cls[i] = ByteClass.table[i]
        }
        triggerTable = trig
        classTable = cls
        kindTable = .allocate(capacity: config.kinds.count)
        kindTable.initialize(from: config.kinds, count: config.kinds.count)
        setup = ScanSetup(config: config, trig: trig, cls: cls)
    }

    deinit {
        triggerTable.deallocate()
        classTable.deallocate()
        kindTable.deinitialize(count: config.kinds.count)
        kindTable.deallocate()
    }

    // MARK: Detection

    /// Calls `body` with the matches in byte offsets, overlaps resolved, below-threshold hits dropped,
    /// sorted by start. Up to 32 raw matches live in stack memory, so a scan allocates nothing.
    /// `reference` runs the scanner's stop-at-every-trigger loop instead of the bitmask loop (for tests).
    @inline(__always)
    func withMatches<R>(_ p: UnsafePointer<UInt8>, _ n: Int, reference: Bool = false,
                        _ body: (UnsafeBufferPointer<Match>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Match.self, capacity: 32) { stack in
            withMatches(p, n, into: stack, reference: reference, adopt: { block, _ in block.deallocate() }, body)
        }
    }

    /// The same with the raw matches in `buffer` (a workspace's). When a scan outgrows it, `adopt`
    /// receives the larger heap block the matches moved to, after `body` has run.
    @inline(__always)
    func withMatches<R>(_ p: UnsafePointer<UInt8>, _ n: Int, into buffer: UnsafeMutableBufferPointer<Match>,
                        reference: Bool = false, adopt: (UnsafeMutablePointer<Match>, Int) -> Void,
                        _ body: (UnsafeBufferPointer<Match>) -> R) -> R {
        var scanner = Scanner(p: p, n: n, setup: setup, buffer: buffer, reference: reference)
        scanner.run()
        // Most records have no match: no call.
        var kept = scanner.count == 0 ? 0 : resolve(scanner.matches, p)
        if kept > 0 && hasAllowList { kept = dropAllowed(p, scanner.matches, count: kept) }
        let result = body(UnsafeBufferPointer(rebasing: scanner.matches[0..<kept]))
        if scanner.grown { adopt(scanner.buffer, scanner.capacity) }
        return result
    }

    /// Calls `body` with a scanner over `p[0..<n]` (for tests of the scanner's helpers).
    func withScanner<R>(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: (Scanner) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Match.self, capacity: 32) { stack in
            body(Scanner(p: p, n: n, setup: setup, buffer: stack))
        }
    }

    /// Removes the matches whose text the policy allows (`policy.allow`) from the first `count`.
    @inline(never)
    func dropAllowed(_ p: UnsafePointer<UInt8>, _ ms: UnsafeMutableBufferPointer<Match>, count: Int) -> Int {
        allowList.map { $0.drop(p, ms, count: count) } ?? count
    }

    /// Drops below-threshold hits and resolves overlaps in place (higher score, then longer span);
    /// returns how many matches remain at the front, sorted by start. A name or place that loses to
    /// a hit starting inside it keeps its whole words before that hit (`leadingWords`).
    func resolve(_ ms: UnsafeMutableBufferPointer<Match>, _ p: UnsafePointer<UInt8>) -> Int {
        var live = 0
        for k in 0..<ms.count where ms[k].score >= minScore {
            ms[live] = ms[k]
            live += 1
        }
        if live <= 1 { return live }
        // Common case: the scanner emitted the hits in order and without overlap.
        var clean = true
        for k in 1..<live where ms[k].start < ms[k - 1].end {
            clean = false
            break
        }
        if clean { return live }
        var sorted = UnsafeMutableBufferPointer(rebasing: ms[0..<live])
        sorted.sort { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
        // `out` is the kept prefix; it never grows faster than the read position.
        var out = 0
        for r in 0..<live {
            let m = sorted[r]
            if out > 0, m.start < sorted[out - 1].end {
                let last = sorted[out - 1]
                let better = m.score > last.score || (m.score == last.score && m.end - m.start > last.end - last.start)
                if better {
                    out -= 1
                    while out > 0, m.start < sorted[out - 1].end { out -= 1 }
                    // At most the first hit given up starts before `m` (the kept ones do not overlap).
                    if let head = leadingWords(sorted[out], before: m.start, p) {
                        sorted[out] = head
                        out += 1
                    }
                    sorted[out] = m
                    out += 1
                }
                continue
            }
            sorted[out] = m
            out += 1
        }
        return out
    }

    /// The whole words of a PERSON or LOCATION hit `m` that lie before `end` (where a better hit
    /// starts inside it: "Anna EMP-123456", the name heuristics having read "Anna EMP"), or nil when
    /// `m` is of another type or none are left. Without it the name would stay in the text.
    func leadingWords(_ m: Match, before end: Int, _ p: UnsafePointer<UInt8>) -> Match? {
        guard m.kind == Kind.person || m.kind == Kind.location, m.start < end else { return nil }
        var e = end
        // A word cut by `end` goes with the better hit; then the separators before it.
        if e < m.end && ByteClass.isWordByte(p[e]) {
            while e > m.start && ByteClass.isWordByte(p[e - 1]) { e -= 1 }
        }
        while e > m.start && !ByteClass.isWordByte(p[e - 1]) { e -= 1 }
        guard e > m.start else { return nil }
        return Match(start: m.start, end: e, kind: m.kind, score: m.score)
    }

    /// Detected entities with Unicode code-point offsets (end exclusive).
    public func entities(in text: String) -> [Entity] {
        Redactor.withBytes(text) { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { return [] }
            return entities(base, buf.count)
        }
    }

    /// `entities(in:)` through the scanner's reference loop, which stops at every trigger byte.
    func referenceEntities(in text: String) -> [Entity] {
        Redactor.withBytes(text) { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { return [] }
            return withMatches(base, buf.count, reference: true) { entities(base, $0) }
        }
    }

    /// Calls `body` with the string's UTF-8 bytes: in place for native strings (no copy, no retain),
    /// else on the contiguous copy `withUTF8` makes.
    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = text.utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = text
        return copy.withUTF8(body)
    }

    /// Entities in UTF-8 bytes that the caller has already validated.
    public func entities(utf8 buf: UnsafeBufferPointer<UInt8>) -> [Entity] {
        guard let base = buf.baseAddress, buf.count > 0 else { return [] }
        return entities(base, buf.count)
    }

    func entities(_ p: UnsafePointer<UInt8>, _ n: Int) -> [Entity] {
        withMatches(p, n) { entities(p, $0) }
    }

    func entities(_ p: UnsafePointer<UInt8>, _ ms: UnsafeBufferPointer<Match>) -> [Entity] {
        switch ms.count {
        case 0:
            return []
        case 1:
            // Most records with an entity have one: an array literal allocates it directly, without
            // the capacity reservation's copy and the append's checks.
            var only: Entity? = nil
            forEachEntity(p, ms) { only = $0 }
            return [only.unsafelyUnwrapped]
        default:
            var out: [Entity] = []
            out.reserveCapacity(ms.count)
            appendEntities(p, ms, to: &out)
            return out
        }
    }

    /// Appends the matches as entities (`forEachEntity`).
    func appendEntities(_ p: UnsafePointer<UInt8>, _ ms: UnsafeBufferPointer<Match>, to out: inout [Entity]) {
        forEachEntity(p, ms) { out.append($0) }
    }

    /// Calls `body` with each match as an entity, converting byte offsets to code points in one
    /// forward walk (count the bytes that are not continuation bytes).
    @inline(__always)
    func forEachEntity(_ p: UnsafePointer<UInt8>, _ ms: UnsafeBufferPointer<Match>, _ body: (Entity) -> Void) {
        var bytePos = 0
        var cp = 0
        let high: UInt64 = 0x8080_8080_8080_8080
        // Byte k of the text is byte k of the word (the tail below shifts by bytes).
        @inline(__always) func load(_ at: Int) -> UInt64 {
            UInt64(littleEndian: UnsafeRawPointer(p + at).loadUnaligned(as: UInt64.self))
        }
        // Every byte that is not a continuation byte (10xxxxxx) starts a scalar; ASCII words need no
        // bit count (one `popcnt` in x86-64-v2 builds, a software count in baseline ones).
        @inline(__always) func continuations(_ x: UInt64) -> Int { (x & ~(x &<< 1) & high).nonzeroBitCount }
        @inline(__always) func advance(to b: Int) -> Int {
            while bytePos &+ 16 <= b {
                let x0 = load(bytePos), x1 = load(bytePos &+ 8)
                cp &+= (x0 | x1) & high == 0 ? 16 : 16 &- continuations(x0) &- continuations(x1)
                bytePos &+= 16
            }
            if bytePos &+ 8 <= b {
                let x = load(bytePos)
                cp &+= x & high == 0 ? 8 : 8 &- continuations(x)
                bytePos &+= 8
            }
            let k = b &- bytePos
            if k > 0 && b >= 8 {
                // The last 1–7 bytes: the eight bytes that end at `b`, shifted so only they remain
                // (no byte loop, whose exit mispredicts).
                let x = load(b &- 8) &>> UInt64((8 &- k) &* 8)
                cp &+= x & high == 0 ? k : k &- continuations(x)
                bytePos = b
            }
            while bytePos < b {
                if p[bytePos] & 0xC0 != 0x80 { cp &+= 1 }
                bytePos &+= 1
            }
            return cp
        }
        for m in ms {
            let s = advance(to: m.start)
            let e = advance(to: m.end)
            body(Entity(type: kindTable[Int(m.kind)], start: s, end: e, byteStart: m.start, byteEnd: m.end,
                        score: Redactor.hundredths(m.score)))
        }
    }

    /// The score rounded to two decimals, as `(Double(score) * 100).rounded() / 100`, without the libm
    /// call that `rounded()` makes on baseline x86-64.
    @inline(__always)
    static func hundredths(_ score: Float) -> Double {
        let x = Double(score) * 100
        guard x >= 0, x < 1e15 else { return x.rounded() / 100 }
        // Truncation is `floor` here and `x - floor(x)` is exact, so ties round away from zero as `rounded()`.
        var r = Double(Int(x))
        if x - r >= 0.5 { r += 1 }
        return r / 100
    }

    // MARK: Free text

    /// The text with every detected entity de-identified by its type's operator. Returns the input
    /// unchanged (no copy) when nothing is found.
    ///
    /// The result is a fixed point: a replacement can change what its neighbours look like (a
    /// word boundary appears where a value was glued to the next one), so the text is scanned again
    /// until nothing more is found — `redact(redact(x)) == redact(x)`. Text with no entity is scanned
    /// once; text with entities usually twice.
    public func redact(text: String) -> String {
        redacted(text, workspace: nil) ?? text
    }

    /// The fixed point of `redactOnce` (at most 8 passes), with the workspace's buffers when given;
    /// nil when the text has no entity (it stays as it is).
    func redacted(_ text: String, workspace: Workspace?) -> String? {
        var current = text
        for pass in 0..<8 {
            let next = workspace.map { redactOnce(current, workspace: $0) } ?? redactOnce(current)
            guard let next else { return pass == 0 ? nil : current }
            current = next
        }
        return current
    }

    /// One detection pass; nil when nothing was found.
    func redactOnce(_ text: String) -> String? {
        Redactor.withBytes(text) { buf -> String? in
            guard let base = buf.baseAddress, buf.count > 0 else { return nil }
            return withMatches(base, buf.count) { ms in ms.isEmpty ? nil : render(base, buf.count, ms) }
        }
    }

    /// `redactOnce` with the workspace's match buffer.
    func redactOnce(_ text: String, workspace: Workspace) -> String? {
        Redactor.withBytes(text) { buf -> String? in
            guard let base = buf.baseAddress, buf.count > 0 else { return nil }
            return withMatches(base, buf.count, into: workspace.matchBuffer,
                               adopt: { workspace.adopt($0, $1) }) { ms in
                if ms.isEmpty { return nil }
                workspace.count(ms)
                return render(base, buf.count, ms)
            }
        }
    }

    /// Redacts UTF-8 bytes, applying the invalid-UTF-8 policy: ill-formed input is repaired with
    /// U+FFFD (`replace`) or refused (`reject`, the caller dead-letters the record).
    public func redact(utf8 bytes: [UInt8]) throws(RedactionError) -> String {
        try redact(text: validated(bytes))
    }

    /// The bytes as a `String`, applying the invalid-UTF-8 policy.
    public func validated(utf8 buf: UnsafeBufferPointer<UInt8>) throws(RedactionError) -> String {
        if let bad = UTF8Validation.firstInvalidOffset(buf) {
            if policy.invalidUTF8 == .reject { throw .invalidUTF8(byteOffset: bad) }
        }
        return String(decoding: buf, as: UTF8.self)
    }

    /// The bytes as a `String`, applying the invalid-UTF-8 policy.
    public func validated(_ bytes: [UInt8]) throws(RedactionError) -> String {
        if let bad = UTF8Validation.firstInvalidOffset(bytes) {
            if policy.invalidUTF8 == .reject { throw .invalidUTF8(byteOffset: bad) }
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func render(_ p: UnsafePointer<UInt8>, _ n: Int, _ ms: UnsafeBufferPointer<Match>) -> String {
        // Common case: every replacement is fixed, so the length is known and the result is written
        // straight into the string's storage.
        var length = n
        for m in ms {
            guard let fixed = fixedReplacement[Int(m.kind)] else { return renderGeneral(p, n, ms) }
            length += fixed.count - (m.end - m.start)
        }
        if length == 0 { return "" }
        return String(unsafeUninitializedCapacity: length) { buf in
            guard let out = buf.baseAddress else { return 0 }
            var pos = 0
            var w = 0
            for m in ms {
                (out + w).initialize(from: p + pos, count: m.start - pos)
                w += m.start - pos
                fixedReplacement[Int(m.kind)].unsafelyUnwrapped.withUnsafeBufferPointer { r in
                    if let base = r.baseAddress { (out + w).initialize(from: base, count: r.count) }
                    w += r.count
                }
                pos = m.end
            }
            (out + w).initialize(from: p + pos, count: n - pos)
            return w + n - pos
        }
    }

    func renderGeneral(_ p: UnsafePointer<UInt8>, _ n: Int, _ ms: UnsafeBufferPointer<Match>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(n + 16 * ms.count)
        var pos = 0
        for m in ms {
            out.append(contentsOf: UnsafeBufferPointer(start: p + pos, count: m.start - pos))
            if let fixed = fixedReplacement[Int(m.kind)] {
                out.append(contentsOf: fixed)
            } else {
                let type = config.kinds[Int(m.kind)]
                let bytes = UnsafeBufferPointer(start: p + m.start, count: m.end - m.start)
                let value = String(decoding: bytes, as: UTF8.self)
                let replaced = Operators.apply(policy.operator(for: type), type: type, value: value, keys: keys)
                out.append(contentsOf: replaced.utf8)
            }
            pos = m.end
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + pos, count: n - pos))
        return String(decoding: out, as: UTF8.self)
    }

    /// Applies one operator to one value, as the policy would for `type`.
    public func apply(_ op: Operator, type: EntityType, to value: String) -> String {
        Operators.apply(op, type: type, value: value, keys: keys)
    }

    // MARK: Decryption

    /// Replaces every `<ENC_TYPE_hex>` token with its plaintext. Tokens that do not authenticate under
    /// this key are left in place and counted in `failures`.
    public static func decrypt(text: String, keys: RedactionKeys) -> (text: String, failures: Int) {
        let b = Array(text.utf8)
        let prefix = Array(Operators.encPrefix.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        var failures = 0
        while i < b.count {
            if b[i] == 60 && i + prefix.count < b.count && Array(b[i..<(i + prefix.count)]) == prefix {
                var j = i + prefix.count
                let ts = j
                while j < b.count && ((b[j] >= 65 && b[j] <= 90) || b[j] == 95 || (b[j] >= 48 && b[j] <= 57)) { j += 1 }
                // The type ends at the last '_' before the hex digits.
                let hs0 = j
                var k = j
                while k < b.count && RedactionKeys.hexValue(b[k]) != nil { k += 1 }
                if k < b.count && b[k] == 62, let us = b[ts..<hs0].lastIndex(of: 95) {
                    let type = String(decoding: b[ts..<us], as: UTF8.self)
                    let hex = Array(b[(us + 1)..<k])
                    if let plain = try? Operators.decrypt(type: type, hex: hex, keys: keys) {
                        out.append(contentsOf: plain.utf8)
                        i = k + 1
                        continue
                    }
                    failures += 1
                }
            }
            out.append(b[i])
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), failures)
    }
}
