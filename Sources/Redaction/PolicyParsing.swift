/// Parsing of the `redaction:` section from plain values, as a YAML or JSON loader returns them
/// (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`). The pipeline hands over the value
/// of the `redaction` key; nothing here reads files.
extension RedactionPolicy {
    public init(plain: Any?) throws(RedactionError) {
        self.init()
        guard let plain else { return }
        guard let map = plain as? [String: Any] else { throw .invalidPolicy("`redaction` must be a mapping") }
        let known: Set<String> = [
            "entities", "disabled", "min_score", "operators", "default_operator", "fields", "scan", "patterns",
            "dictionaries", "gazetteer", "dates", "urls", "invalid_utf8", "allow",
        ]
        try Self.refuseUnknownKeys(map, known: known, at: "redaction")
        if let e = map["entities"] {
            if let s = e as? String, s == "all" {
                entities = Set(EntityType.builtIn)
            } else {
                let names = try Self.strings(e, "redaction.entities")
                entities = Set(names.map { EntityType($0) })
            }
        }
        if let d = map["disabled"] {
            for name in try Self.strings(d, "redaction.disabled") { entities.remove(EntityType(name)) }
        }
        if let m = map["min_score"] { minScore = try Self.double(m, "redaction.min_score") }
        if let d = map["default_operator"] { defaultOperator = try Self.parseOperator(d, "redaction.default_operator") }
        if let ops = map["operators"] {
            guard let om = ops as? [String: Any] else { throw .invalidPolicy("`redaction.operators` must be a mapping") }
            for (type, spec) in om {
                let op = try Self.parseOperator(spec, "redaction.operators.\(type)")
                if type == "default" { defaultOperator = op } else { operators[EntityType(type)] = op }
            }
        }
        if let fs = map["fields"] {
            guard let list = fs as? [Any] else { throw .invalidPolicy("`redaction.fields` must be a list") }
            for (i, item) in list.enumerated() {
                guard let f = item as? [String: Any], let path = f["path"] as? String else {
                    throw .invalidPolicy("`redaction.fields[\(i)]` needs a `path`")
                }
                let where_ = "redaction.fields[\(i)]"
                let op = try Self.parseOperator(f["operator"] ?? "replace", where_ + ".operator")
                let entity = (f["entity"] as? String).map { EntityType($0) } ?? EntityType("REDACTED")
                fields.append(FieldRule(path: try JSONPath(parsing: path, where_ + ".path"), operator: op, entity: entity))
            }
        }
        if let s = map["scan"] {
            scan = try Self.strings(s, "redaction.scan").map { p throws(RedactionError) in
                try JSONPath(parsing: p, "redaction.scan")
            }
        }
        if let ps = map["patterns"] {
            guard let list = ps as? [Any] else { throw .invalidPolicy("`redaction.patterns` must be a list") }
            for (i, item) in list.enumerated() {
                guard let f = item as? [String: Any], let name = f["name"] as? String, let pattern = f["pattern"] as? String
                else { throw .invalidPolicy("`redaction.patterns[\(i)]` needs `name` and `pattern`") }
                let where_ = "redaction.patterns[\(i)]"
                try Self.refuseUnknownKeys(
                    f, known: ["name", "pattern", "score", "word_boundary", "context", "context_window"], at: where_)
                let score = try f["score"].map { v throws(RedactionError) in try Self.double(v, where_ + ".score") } ?? 0.85
                let wb = try Self.bool(f["word_boundary"], where_ + ".word_boundary", default: true)
                let (context, window) = try Self.context(f, where_)
                patterns.append(PatternSpec(name: name, pattern: pattern, score: score, wordBoundary: wb,
                                            context: context, contextWindow: window))
                entities.insert(EntityType(name))
            }
        }
        if let ds = map["dictionaries"] {
            guard let list = ds as? [Any] else { throw .invalidPolicy("`redaction.dictionaries` must be a list") }
            for (i, item) in list.enumerated() {
                guard let f = item as? [String: Any], let name = f["name"] as? String, let terms = f["terms"] else {
                    throw .invalidPolicy("`redaction.dictionaries[\(i)]` needs `name` and `terms`")
                }
                let where_ = "redaction.dictionaries[\(i)]"
                try Self.refuseUnknownKeys(
                    f, known: ["name", "terms", "case_insensitive", "score", "context", "context_window"], at: where_)
                let ci = try Self.bool(f["case_insensitive"], where_ + ".case_insensitive", default: false)
                let score = try f["score"].map { v throws(RedactionError) in try Self.double(v, where_ + ".score") } ?? 0.85
                let (context, window) = try Self.context(f, where_)
                dictionaries.append(
                    DictionarySpec(name: name, terms: try Self.strings(terms, where_ + ".terms"), caseInsensitive: ci,
                                   score: score, context: context, contextWindow: window))
                entities.insert(EntityType(name))
            }
        }
        if let g = map["gazetteer"] {
            guard let gm = g as? [String: Any] else { throw .invalidPolicy("`redaction.gazetteer` must be a mapping") }
            useBuiltInGazetteer = try Self.bool(gm["builtin"], "redaction.gazetteer.builtin", default: useBuiltInGazetteer)
            if let v = gm["first_names"] { extraFirstNames = try Self.strings(v, "redaction.gazetteer.first_names") }
            if let v = gm["last_names"] { extraLastNames = try Self.strings(v, "redaction.gazetteer.last_names") }
            if let v = gm["locations"] { extraLocations = try Self.strings(v, "redaction.gazetteer.locations") }
        }
        if let d = map["dates"] {
            if let b = d as? Bool {
                detectNumericDates = b
                detectLongDates = b
                if !b { entities.remove(.dateTime) }
            } else if let dm = d as? [String: Any] {
                if try !Self.bool(dm["detect"], "redaction.dates.detect", default: true) { entities.remove(.dateTime) }
                detectNumericDates = try Self.bool(dm["numeric"], "redaction.dates.numeric", default: detectNumericDates)
                detectLongDates = try Self.bool(dm["long_form"], "redaction.dates.long_form", default: detectLongDates)
                if let op = dm["operator"] { operators[.dateTime] = try Self.parseOperator(op, "redaction.dates.operator") }
            } else {
                throw .invalidPolicy("`redaction.dates` must be a boolean or a mapping")
            }
        }
        if let u = map["urls"] {
            guard let um = u as? [String: Any] else { throw .invalidPolicy("`redaction.urls` must be a mapping") }
            try Self.refuseUnknownKeys(um, known: ["bare_domains"], at: "redaction.urls")
            detectBareDomains = try Self.bool(um["bare_domains"], "redaction.urls.bare_domains", default: true)
        }
        if let a = map["allow"] {
            if let am = a as? [String: Any] {
                try Self.refuseUnknownKeys(am, known: ["terms", "case_insensitive"], at: "redaction.allow")
                guard let terms = am["terms"] else { throw .invalidPolicy("`redaction.allow` needs `terms`") }
                allow = try Self.strings(terms, "redaction.allow.terms")
                allowCaseInsensitive = try Self.bool(am["case_insensitive"], "redaction.allow.case_insensitive", default: false)
            } else {
                allow = try Self.strings(a, "redaction.allow")
            }
        }
        if let u = map["invalid_utf8"] {
            guard let s = u as? String, let v = InvalidUTF8Policy(rawValue: s) else {
                throw .invalidPolicy("`redaction.invalid_utf8` must be `replace` or `reject`")
            }
            invalidUTF8 = v
        }
    }

    /// The `context` words and `context_window` of a pattern or dictionary entry at `where_`.
    private static func context(_ f: [String: Any], _ where_: String) throws(RedactionError) -> ([String], Int) {
        let context = try f["context"].map { v throws(RedactionError) in try Self.strings(v, where_ + ".context") } ?? []
        let window = try Self.int(f["context_window"], where_ + ".context_window", default: PatternSpec.defaultContextWindow)
        guard (1...256).contains(window) else {
            throw .invalidPolicy("`\(where_).context_window` must be 1 to 256 bytes")
        }
        return (context, window)
    }

    /// Refuses a key of `map` that is not in `known`, naming it and the known ones (never a value).
    static func refuseUnknownKeys(_ map: [String: Any], known: Set<String>, at where_: String) throws(RedactionError) {
        for key in map.keys where !known.contains(key) {
            throw .invalidPolicy("unknown key `\(where_).\(key)` (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func strings(_ v: Any, _ where_: String) throws(RedactionError) -> [String] {
        if let s = v as? String { return [s] }
        guard let list = v as? [Any] else { throw .invalidPolicy("`\(where_)` must be a list of strings") }
        var out: [String] = []
        for item in list {
            guard let s = item as? String else { throw .invalidPolicy("`\(where_)` must be a list of strings") }
            out.append(s)
        }
        return out
    }

    static func double(_ v: Any, _ where_: String) throws(RedactionError) -> Double {
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let s = v as? String, let d = Double(s) { return d }
        throw .invalidPolicy("`\(where_)` must be a number")
    }

    static func bool(_ v: Any?, _ where_: String, default def: Bool) throws(RedactionError) -> Bool {
        guard let v else { return def }
        guard let b = v as? Bool else { throw .invalidPolicy("`\(where_)` must be true or false") }
        return b
    }

    static func int(_ v: Any?, _ where_: String, default def: Int) throws(RedactionError) -> Int {
        guard let v else { return def }
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded() { return Int(d) }
        if let s = v as? String, let i = Int(s) { return i }
        throw .invalidPolicy("`\(where_)` must be an integer")
    }

    /// `replace`, `{type: mask, keep_last: 4, char: "#"}` …
    public static func parseOperator(_ v: Any, _ where_: String) throws(RedactionError) -> Operator {
        var spec: [String: Any] = [:]
        if let s = v as? String {
            spec["type"] = s
        } else if let m = v as? [String: Any] {
            spec = m
        } else {
            throw .invalidPolicy("`\(where_)` must be an operator name or a mapping with `type`")
        }
        guard let type = spec["type"] as? String else { throw .invalidPolicy("`\(where_)` needs `type`") }
        switch type {
        case "replace":
            return .replace(template: spec["template"] as? String ?? spec["new_value"] as? String)
        case "redact", "remove":
            return .redact
        case "mask":
            let keep = try int(spec["keep_last"] ?? spec["chars_to_keep"], where_ + ".keep_last", default: 0)
            let charText = spec["char"] as? String ?? spec["masking_char"] as? String ?? "*"
            guard charText.count == 1, let ch = charText.first else {
                throw .invalidPolicy("`\(where_).char` must be one character")
            }
            guard keep >= 0 else { throw .invalidPolicy("`\(where_).keep_last` must be ≥ 0") }
            return .mask(char: ch, keepLast: keep, keepSeparators: try bool(spec["keep_separators"], where_ + ".keep_separators", default: false))
        case "pseudonym", "hash", "hmac":
            let len = try int(spec["length"], where_ + ".length", default: 16)
            guard (8...64).contains(len) else { throw .invalidPolicy("`\(where_).length` must be 8…64") }
            return .pseudonym(length: len)
        case "encrypt":
            return .encrypt
        case "generalize":
            if let to = spec["to"] as? String {
                switch to {
                case "year": return .generalize(.year)
                case "month": return .generalize(.month)
                case "age_band", "band":
                    return .generalize(.ageBand(width: try int(spec["width"], where_ + ".width", default: 10)))
                case "bucket":
                    let w = try spec["width"].map { x throws(RedactionError) in try double(x, where_ + ".width") } ?? 10
                    guard w > 0 else { throw .invalidPolicy("`\(where_).width` must be > 0") }
                    return .generalize(.bucket(width: w))
                case "prefix":
                    return .generalize(.prefix(count: try int(spec["length"] ?? spec["count"], where_ + ".length", default: 3)))
                default:
                    throw .invalidPolicy("`\(where_).to` must be year, month, age_band, bucket or prefix")
                }
            }
            throw .invalidPolicy("`\(where_)` needs `to` (year, month, age_band, bucket, prefix)")
        case "noise":
            let scale = try spec["scale"].map { x throws(RedactionError) in try double(x, where_ + ".scale") } ?? 1
            guard scale >= 0 else { throw .invalidPolicy("`\(where_).scale` must be ≥ 0") }
            let distText = spec["distribution"] as? String ?? "uniform"
            guard let dist = NoiseDistribution(rawValue: distText) else {
                throw .invalidPolicy("`\(where_).distribution` must be uniform, laplace or gaussian")
            }
            let decimals: Int? = spec["decimals"] == nil ? nil : try int(spec["decimals"], where_ + ".decimals", default: 0)
            return .noise(scale: scale, distribution: dist, decimals: decimals)
        case "drop":
            return .drop
        case "keep", "none":
            return .keep
        default:
            throw .invalidPolicy(
                "`\(where_)`: unknown operator `\(type)` (replace, redact, mask, pseudonym, encrypt, generalize, noise, drop, keep)")
        }
    }
}
