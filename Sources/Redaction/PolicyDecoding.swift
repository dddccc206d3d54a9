/// Decoding of the `redaction:` section, through any `Decoder`: the topology reader hands over the
/// section's YAML node, `steward redact --topology` the same node from a file of its own. A problem
/// is a `DecodingError` at the value it concerns whose underlying error is the
/// `RedactionError.invalidPolicy` that names it, so it is reported at `file:line:column`.
extension RedactionPolicy: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let root = PolicyValue(decoder: decoder, label: "redaction")
        guard let map = root.mapping else { throw root.refusal("`redaction` must be a mapping") }
        try map.refuseUnknownKeys([
            "entities", "disabled", "min_score", "operators", "default_operator", "fields", "scan", "patterns",
            "dictionaries", "gazetteer", "dates", "urls", "invalid_utf8", "allow",
        ])
        if let value = map["entities"] {
            entities = value.text == "all" ? Set(EntityType.builtIn) : Set(try value.strings().map { EntityType($0) })
        }
        for name in try map["disabled"]?.strings() ?? [] { entities.remove(EntityType(name)) }
        if let value = map["min_score"] { minScore = try value.number() }
        if let value = map["default_operator"] { defaultOperator = try Operator(policy: value) }
        if let value = map["operators"] {
            guard let byType = value.mapping else { throw value.refusal("`\(value.label)` must be a mapping") }
            for (type, spec) in byType.entries {
                let op = try Operator(policy: spec)
                if type == "default" { defaultOperator = op } else { operators[EntityType(type)] = op }
            }
        }
        if let value = map["fields"] { try decodeFields(value) }
        if let value = map["scan"] {
            scan = try value.strings().map { path in try value.reading { () throws(RedactionError) in
                try JSONPath(parsing: path, value.label)
            } }
        }
        if let value = map["patterns"] { try decodePatterns(value) }
        if let value = map["dictionaries"] { try decodeDictionaries(value) }
        if let value = map["gazetteer"] {
            guard let gazetteer = value.mapping else { throw value.refusal("`\(value.label)` must be a mapping") }
            useBuiltInGazetteer = try gazetteer["builtin"]?.flag() ?? useBuiltInGazetteer
            if let names = gazetteer["first_names"] { extraFirstNames = try names.strings() }
            if let names = gazetteer["last_names"] { extraLastNames = try names.strings() }
            if let names = gazetteer["locations"] { extraLocations = try names.strings() }
        }
        if let value = map["dates"] { try decodeDates(value) }
        if let value = map["urls"] {
            guard let urls = value.mapping else { throw value.refusal("`\(value.label)` must be a mapping") }
            try urls.refuseUnknownKeys(["bare_domains"])
            detectBareDomains = try urls["bare_domains"]?.flag() ?? true
        }
        if let value = map["allow"] {
            if let allowed = value.mapping {
                try allowed.refuseUnknownKeys(["terms", "case_insensitive"])
                guard let terms = allowed["terms"] else { throw value.refusal("`\(value.label)` needs `terms`") }
                allow = try terms.strings()
                allowCaseInsensitive = try allowed["case_insensitive"]?.flag() ?? false
            } else {
                allow = try value.strings()
            }
        }
        if let value = map["invalid_utf8"] {
            guard let policy = value.text.flatMap(InvalidUTF8Policy.init(rawValue:)) else {
                throw value.refusal("`\(value.label)` must be `replace` or `reject`")
            }
            invalidUTF8 = policy
        }
    }

    /// `fields:`, a list of `{path, operator, entity}`: `replace` and `REDACTED` when not given.
    private mutating func decodeFields(_ value: PolicyValue) throws {
        guard let items = value.list else { throw value.refusal("`\(value.label)` must be a list") }
        for item in items {
            guard let rule = item.mapping, let pathValue = rule["path"], let path = pathValue.text else {
                throw item.refusal("`\(item.label)` needs a `path`")
            }
            let op = try rule["operator"].map(Operator.init(policy:)) ?? .replace(template: nil)
            let entity = rule["entity"]?.text.map { EntityType($0) } ?? EntityType("REDACTED")
            let jsonPath = try pathValue.reading { () throws(RedactionError) in
                try JSONPath(parsing: path, pathValue.label)
            }
            fields.append(FieldRule(path: jsonPath, operator: op, entity: entity))
        }
    }

    /// `patterns:`, a list of `{name, pattern, score, word_boundary, context, context_window}`; each
    /// name is also a type to detect.
    private mutating func decodePatterns(_ value: PolicyValue) throws {
        guard let items = value.list else { throw value.refusal("`\(value.label)` must be a list") }
        for item in items {
            guard let entry = item.mapping, let name = entry["name"]?.text, let pattern = entry["pattern"]?.text else {
                throw item.refusal("`\(item.label)` needs `name` and `pattern`")
            }
            try entry.refuseUnknownKeys(["name", "pattern", "score", "word_boundary", "context", "context_window"])
            let score = try entry["score"]?.number() ?? 0.85
            let wordBoundary = try entry["word_boundary"]?.flag() ?? true
            let (context, window) = try Self.context(entry)
            patterns.append(
                PatternSpec(name: name, pattern: pattern, score: score, wordBoundary: wordBoundary,
                            context: context, contextWindow: window))
            entities.insert(EntityType(name))
        }
    }

    /// `dictionaries:`, a list of `{name, terms, case_insensitive, score, context, context_window}`;
    /// each name is also a type to detect.
    private mutating func decodeDictionaries(_ value: PolicyValue) throws {
        guard let items = value.list else { throw value.refusal("`\(value.label)` must be a list") }
        for item in items {
            guard let entry = item.mapping, let name = entry["name"]?.text, let terms = entry["terms"] else {
                throw item.refusal("`\(item.label)` needs `name` and `terms`")
            }
            try entry.refuseUnknownKeys(["name", "terms", "case_insensitive", "score", "context", "context_window"])
            let caseInsensitive = try entry["case_insensitive"]?.flag() ?? false
            let score = try entry["score"]?.number() ?? 0.85
            let (context, window) = try Self.context(entry)
            dictionaries.append(
                DictionarySpec(name: name, terms: try terms.strings(), caseInsensitive: caseInsensitive,
                               score: score, context: context, contextWindow: window))
            entities.insert(EntityType(name))
        }
    }

    /// `dates:`, `false` (no dates), `true`, or `{detect, numeric, long_form, operator}`.
    private mutating func decodeDates(_ value: PolicyValue) throws {
        if case .bool(let detect)? = value.scalar {
            detectNumericDates = detect
            detectLongDates = detect
            if !detect { entities.remove(.dateTime) }
        } else if let dates = value.mapping {
            if try !(dates["detect"]?.flag() ?? true) { entities.remove(.dateTime) }
            detectNumericDates = try dates["numeric"]?.flag() ?? detectNumericDates
            detectLongDates = try dates["long_form"]?.flag() ?? detectLongDates
            if let op = dates["operator"] { operators[.dateTime] = try Operator(policy: op) }
        } else {
            throw value.refusal("`\(value.label)` must be a boolean or a mapping")
        }
    }

    /// The `context` words and `context_window` of a pattern or dictionary entry.
    private static func context(_ entry: PolicyMapping) throws -> ([String], Int) {
        let context = try entry["context"]?.strings() ?? []
        guard let value = entry["context_window"] else { return (context, PatternSpec.defaultContextWindow) }
        let window = try value.integer()
        guard (1...256).contains(window) else { throw value.refusal("`\(value.label)` must be 1 to 256 bytes") }
        return (context, window)
    }
}

extension Operator {
    /// An operator spec: a name (`replace`) or a mapping with `type` and its settings
    /// (`{type: mask, keep_last: 4, char: "#"}`).
    init(policy value: PolicyValue) throws {
        let spec: PolicyMapping?
        let type: String?
        if let name = value.text {
            (spec, type) = (nil, name)
        } else if let mapping = value.mapping {
            (spec, type) = (mapping, mapping["type"]?.text)
        } else {
            throw value.refusal("`\(value.label)` must be an operator name or a mapping with `type`")
        }
        guard let type else { throw value.refusal("`\(value.label)` needs `type`") }
        let label = value.label
        /// A setting's value, under its name or an alias, as `label.name` in messages.
        func setting(_ name: String, or alias: String? = nil) -> PolicyValue? {
            (spec?[name] ?? alias.flatMap { spec?[$0] })?.labelled("\(label).\(name)")
        }
        /// A setting that must be text to count (anything else is as if it were absent).
        func text(_ name: String) -> String? { spec?[name]?.text }
        switch type {
        case "replace":
            self = .replace(template: text("template") ?? text("new_value"))
        case "redact", "remove":
            self = .redact
        case "mask":
            let keep = try setting("keep_last", or: "chars_to_keep")?.integer() ?? 0
            let charText = text("char") ?? text("masking_char") ?? "*"
            guard charText.count == 1, let char = charText.first else {
                throw value.refusal("`\(label).char` must be one character")
            }
            guard keep >= 0 else { throw value.refusal("`\(label).keep_last` must be ≥ 0") }
            self = .mask(
                char: char, keepLast: keep, keepSeparators: try setting("keep_separators")?.flag() ?? false)
        case "pseudonym", "hash", "hmac":
            let length = try setting("length")?.integer() ?? 16
            guard (8...64).contains(length) else { throw value.refusal("`\(label).length` must be 8…64") }
            self = .pseudonym(length: length)
        case "encrypt":
            self = .encrypt
        case "generalize":
            self = .generalize(try Generalization(spec: value, to: text("to"), setting: setting))
        case "noise":
            let scale = try setting("scale")?.number() ?? 1
            guard scale >= 0 else { throw value.refusal("`\(label).scale` must be ≥ 0") }
            guard let distribution = NoiseDistribution(rawValue: text("distribution") ?? "uniform") else {
                throw value.refusal("`\(label).distribution` must be uniform, laplace or gaussian")
            }
            self = .noise(scale: scale, distribution: distribution, decimals: try setting("decimals")?.integer())
        case "drop":
            self = .drop
        case "keep", "none":
            self = .keep
        default:
            throw value.refusal(
                "`\(label)`: unknown operator `\(type)` (replace, redact, mask, pseudonym, encrypt, generalize, noise, "
                    + "drop, keep)")
        }
    }
}

extension Generalization {
    /// The `to:` of a `generalize` operator and its `width` or `length`.
    fileprivate init(spec value: PolicyValue, to: String?, setting: (String, String?) -> PolicyValue?) throws {
        guard let to else {
            throw value.refusal("`\(value.label)` needs `to` (year, month, age_band, bucket, prefix)")
        }
        switch to {
        case "year": self = .year
        case "month": self = .month
        case "age_band", "band": self = .ageBand(width: try setting("width", nil)?.integer() ?? 10)
        case "bucket":
            let width = try setting("width", nil)?.number() ?? 10
            guard width > 0 else { throw value.refusal("`\(value.label).width` must be > 0") }
            self = .bucket(width: width)
        case "prefix": self = .prefix(count: try setting("length", "count")?.integer() ?? 3)
        default:
            throw value.refusal("`\(value.label).to` must be year, month, age_band, bucket or prefix")
        }
    }
}
