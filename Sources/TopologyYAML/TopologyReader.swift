import Pipeline
import Yams

extension Topology {
    /// Decodes and validates a topology, reporting every problem as `file:line:column: message`.
    ///
    /// `sections` are the top-level keys that stages own (`redaction`, `scoring`, …): their
    /// contents are kept as parsed for the stage to decode. Any other key is an error, so a section
    /// no stage reads is never silently ignored.
    public static func load(yaml text: String, file: String, sections: [String]) throws(TopologyErrors) -> Topology {
        var reader = TopologyReader(file: file, sectionKeys: sections)
        let topology = reader.read(text)
        guard reader.issues.isEmpty, let topology else {
            throw TopologyErrors(issues: reader.issues)
        }
        return topology
    }
}

private struct TopologyReader {
    let file: String
    let sectionKeys: [String]
    var issues: [TopologyIssue] = []

    init(file: String, sectionKeys: [String]) {
        self.file = file
        self.sectionKeys = sectionKeys
    }

    mutating func report(_ node: Node?, _ message: String) {
        let mark = node?.mark
        issues.append(TopologyIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    mutating func read(_ text: String) -> Topology? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            issues.append(Self.issue(for: error, file: file))
            return nil
        } catch {
            issues.append(TopologyIssue(file: file, line: 1, column: 1, message: "cannot read YAML: \(error)"))
            return nil
        }
        guard let root, case .mapping(let mapping) = root else {
            report(root, "a topology is a mapping with keys name, input, output, delivery and engine sections")
            return nil
        }
        let known = ["name", "description", "input", "output", "delivery"] + sectionKeys
        checkKeys(mapping, allowed: known, context: "topology")

        let name = requiredString(mapping, "name", context: "topology")
        if let name, !Self.isValidTopicComponent(name) {
            report(mapping["name"], "name '\(name)' must be 1-200 characters of letters, digits, '.', '_' or '-' (it prefixes topic names)")
        }
        let description = optionalString(mapping, "description") ?? ""
        let input = readInput(mapping)
        let output = readOutput(mapping, name: name ?? "topology")
        var delivery = Topology.Delivery.exactlyOnce
        if let node = mapping["delivery"] {
            if let text = node.scalar?.string, let value = Topology.Delivery(rawValue: text) {
                delivery = value
            } else {
                report(node, "delivery must be exactly_once or at_least_once")
            }
        }
        var sections: [Topology.Section] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.scalar?.string, sectionKeys.contains(key) else { continue }
            sections.append(
                Topology.Section(
                    key: key, content: SectionNode(valueNode), line: valueNode.mark?.line ?? 1,
                    column: valueNode.mark?.column ?? 1))
        }
        guard let name, let input else { return nil }
        return Topology(
            name: name, description: description, input: input, output: output, delivery: delivery, sections: sections)
    }

    mutating func readInput(_ mapping: Node.Mapping) -> Topology.Input? {
        guard let node = mapping["input"] else {
            report(nil, "missing required key 'input' (the input topic and record checks)")
            return nil
        }
        guard case .mapping(let input) = node else {
            report(node, "input must be a mapping with keys topic, max_message_bytes, required, fields, event_time, subject")
            return nil
        }
        checkKeys(
            input, allowed: ["topic", "topics", "max_message_bytes", "required", "fields", "event_time", "subject"],
            context: "input")
        var topics: [String] = []
        if let topic = input["topic"] {
            if let text = topic.scalar?.string, !text.isEmpty { topics = [text] } else { report(topic, "input.topic must be a topic name") }
        }
        if let list = input["topics"] {
            topics += stringList(list, context: "input.topics")
        }
        if topics.isEmpty, input["topic"] == nil, input["topics"] == nil {
            report(node, "input needs 'topic' (or 'topics'): the topic(s) to consume")
        }
        for topic in topics where !Self.isValidTopicComponent(topic) {
            report(input["topic"] ?? input["topics"], "topic '\(topic)' is not a valid Kafka topic name")
        }
        var maxBytes = 1_048_576
        if let limit = input["max_message_bytes"] {
            if let value = limit.int, value > 0 { maxBytes = value } else { report(limit, "max_message_bytes must be a positive integer") }
        }
        let required = input["required"].map { stringList($0, context: "input.required") } ?? []
        var fieldTypes: [Topology.FieldType] = []
        if let fields = input["fields"] {
            if case .mapping(let declared) = fields {
                for (key, value) in declared {
                    guard let field = key.scalar?.string else { report(key, "field names are strings"); continue }
                    guard let typeName = value.scalar?.string, let type = Topology.JSONType(rawValue: typeName) else {
                        let allowed = Topology.JSONType.allCases.map(\.rawValue).joined(separator: ", ")
                        report(value, "field '\(field)' has unknown type; expected one of: \(allowed)")
                        continue
                    }
                    fieldTypes.append(Topology.FieldType(field: field, type: type))
                }
            } else {
                report(fields, "input.fields maps field names to types, e.g. `text: string`")
            }
        }
        var eventTime: String?
        if let node = input["event_time"] {
            if case .mapping(let spec) = node {
                checkKeys(spec, allowed: ["field"], context: "input.event_time")
                eventTime = requiredString(spec, "field", context: "input.event_time")
            } else {
                eventTime = node.scalar?.string
                if eventTime == nil { report(node, "event_time must name a field, e.g. `event_time: {field: ts}`") }
            }
        }
        let subject = optionalString(input, "subject")
        return Topology.Input(
            topics: topics, maxMessageBytes: maxBytes, requiredFields: required, fieldTypes: fieldTypes,
            eventTimeField: eventTime, subjectField: subject)
    }

    mutating func readOutput(_ mapping: Node.Mapping, name: String) -> Topology.Output {
        var output = Topology.Output(topologyName: name)
        guard let node = mapping["output"] else { return output }
        guard case .mapping(let spec) = node else {
            report(node, "output maps sanitized, dlq, aggregates, alerts, audit, changelog, repartition to topic names")
            return output
        }
        checkKeys(spec, allowed: ["sanitized", "dlq", "aggregates", "alerts", "audit", "changelog", "repartition"], context: "output")
        func topic(_ key: String, _ current: String) -> String {
            guard let value = spec[key] else { return current }
            guard let text = value.scalar?.string, Self.isValidTopicComponent(text) else {
                report(value, "output.\(key) must be a valid Kafka topic name")
                return current
            }
            return text
        }
        output.sanitized = topic("sanitized", output.sanitized)
        output.deadLetter = topic("dlq", output.deadLetter)
        output.aggregates = topic("aggregates", output.aggregates)
        output.alerts = topic("alerts", output.alerts)
        output.audit = topic("audit", output.audit)
        output.changelog = topic("changelog", output.changelog)
        output.repartition = topic("repartition", output.repartition)
        return output
    }

    mutating func checkKeys(_ mapping: Node.Mapping, allowed: [String], context: String) {
        var seen: Set<String> = []
        for (key, _) in mapping {
            guard let name = key.scalar?.string else {
                report(key, "\(context) keys must be strings")
                continue
            }
            if !seen.insert(name).inserted {
                report(key, "duplicate key '\(name)' in \(context)")
            }
            if !allowed.contains(name) {
                let hint = allowed.min { Self.distance($0, name) < Self.distance($1, name) }
                let suggestion = hint.map { Self.distance($0, name) <= 2 ? "did you mean '\($0)'? " : "" } ?? ""
                report(key, "unknown key '\(name)' in \(context); \(suggestion)expected one of: \(allowed.joined(separator: ", "))")
            }
        }
    }

    mutating func requiredString(_ mapping: Node.Mapping, _ key: String, context: String) -> String? {
        guard let node = mapping[key] else {
            report(nil, "missing required key '\(key)' in \(context)")
            return nil
        }
        guard let text = node.scalar?.string, !text.isEmpty else {
            report(node, "\(context).\(key) must be a non-empty string")
            return nil
        }
        return text
    }

    mutating func optionalString(_ mapping: Node.Mapping, _ key: String) -> String? {
        guard let node = mapping[key] else { return nil }
        guard let text = node.scalar?.string else {
            report(node, "\(key) must be a string")
            return nil
        }
        return text
    }

    mutating func stringList(_ node: Node, context: String) -> [String] {
        guard case .sequence(let sequence) = node else {
            report(node, "\(context) must be a list of strings, e.g. [id, text]")
            return []
        }
        var result: [String] = []
        for element in sequence {
            if let text = element.scalar?.string, !text.isEmpty { result.append(text) } else { report(element, "\(context) entries must be strings") }
        }
        return result
    }

    static func isValidTopicComponent(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && name != "." && name != ".."
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    static func issue(for error: YamlError, file: String) -> TopologyIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return TopologyIssue(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return TopologyIssue(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return TopologyIssue(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }
}

extension Topology {
    /// A human-readable description of what the topology does, in processing order.
    public var summary: String {
        var lines = ["topology \(name)" + (description.isEmpty ? "" : ": \(description)")]
        lines.append("  source      \(input.topics.joined(separator: ", ")) (JSON records, max \(input.maxMessageBytes) bytes)")
        if !input.requiredFields.isEmpty { lines.append("  require     \(input.requiredFields.joined(separator: ", "))") }
        for field in input.fieldTypes { lines.append("  check       \(field.field): \(field.type.rawValue)") }
        if let time = input.eventTimeField { lines.append("  event time  \(time)") }
        for section in sections { lines.append("  stage       \(section.key)") }
        lines.append("  sink        \(output.sanitized) (sanitized records)")
        lines.append("  sink        \(output.deadLetter) (dead letters: record + reason)")
        lines.append("  delivery    \(delivery.rawValue)")
        return lines.joined(separator: "\n")
    }
}
