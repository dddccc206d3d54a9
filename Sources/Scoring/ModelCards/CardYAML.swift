import Foundation

/// A small YAML reader for model cards, so that the Scoring module needs no YAML dependency.
///
/// Reads the subset cards use: block mappings and block sequences by indentation, flow sequences
/// `[a, b]` and flow mappings `{a: 1}`, double-quoted (JSON escapes), single-quoted and plain
/// scalars, `#` comments. Plain `true`/`false`/`null`/numbers are typed; quote a string that
/// looks like a number (`version: "1.0"`). Anchors, tags, block scalars and multi-document
/// streams are rejected with a `line:column` error.
enum CardYAML {
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { "\(line):\(column): \(message)" }
    }

    private struct Line {
        var number: Int
        var indent: Int
        var text: Substring
    }

    /// Parses `text` into Foundation objects (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `NSNull`).
    static func parse(_ text: String) throws -> Any {
        var lines: [Line] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let stripped = stripComment(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            let content = stripped.drop { $0 == " " }
            if content.isEmpty || content == "---" { continue }
            if content.hasPrefix("\t") || stripped.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                throw ParseError(line: i + 1, column: 1, message: "tabs are not allowed for indentation")
            }
            lines.append(Line(number: i + 1, indent: stripped.count - content.count, text: content))
        }
        var position = 0
        guard !lines.isEmpty else { return [String: Any]() }
        let value = try block(&lines, &position, indent: lines[0].indent)
        if position < lines.count {
            let l = lines[position]
            throw ParseError(line: l.number, column: l.indent + 1, message: "unexpected indentation")
        }
        return value
    }

    private static func block(_ lines: inout [Line], _ p: inout Int, indent: Int) throws -> Any {
        if lines[p].text.hasPrefix("- ") || lines[p].text == "-" {
            var items: [Any] = []
            while p < lines.count, lines[p].indent == indent, lines[p].text.hasPrefix("- ") || lines[p].text == "-" {
                let line = lines[p]
                let rest = line.text.dropFirst(1).drop { $0 == " " }
                if rest.isEmpty {
                    p += 1
                    guard p < lines.count, lines[p].indent > indent else { items.append(NSNull()); continue }
                    items.append(try block(&lines, &p, indent: lines[p].indent))
                } else {
                    // "- key: value" starts a mapping whose keys sit at the item's content column.
                    let column = line.indent + (line.text.count - rest.count)
                    lines[p] = Line(number: line.number, indent: column, text: rest)
                    if mappingKey(rest) != nil {
                        items.append(try block(&lines, &p, indent: column))
                    } else {
                        items.append(try scalar(rest, line: line.number, column: column + 1))
                        p += 1
                    }
                }
            }
            return items
        }
        var map: [String: Any] = [:]
        while p < lines.count, lines[p].indent == indent {
            let line = lines[p]
            guard let (key, rest) = mappingKey(line.text) else {
                throw ParseError(line: line.number, column: indent + 1, message: "expected 'key: value'")
            }
            if map[key] != nil {
                throw ParseError(line: line.number, column: indent + 1, message: "duplicate key '\(key)'")
            }
            p += 1
            if rest.isEmpty {
                if p < lines.count, lines[p].indent > indent {
                    map[key] = try block(&lines, &p, indent: lines[p].indent)
                } else if p < lines.count, lines[p].indent == indent, lines[p].text.hasPrefix("- ") {
                    map[key] = try block(&lines, &p, indent: indent)
                } else {
                    map[key] = NSNull()
                }
            } else {
                let column = indent + line.text.count - rest.count + 1
                map[key] = try scalar(rest, line: line.number, column: column)
            }
        }
        if p < lines.count, lines[p].indent > indent {
            throw ParseError(line: lines[p].number, column: lines[p].indent + 1, message: "unexpected indentation")
        }
        return map
    }

    /// `key: rest` when the line is a mapping entry (plain or quoted key).
    private static func mappingKey(_ text: Substring) -> (String, Substring)? {
        if let q = text.first, q == "\"" || q == "'" {
            guard let close = text.dropFirst().firstIndex(of: q) else { return nil }
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), after.dropFirst().drop { $0 == " " })
        }
        guard let colon = text.firstIndex(where: { $0 == ":" }) else { return nil }
        let after = text[text.index(after: colon)...]
        guard after.isEmpty || after.hasPrefix(" ") else { return nil }
        let key = text[..<colon]
        if key.contains("[") || key.contains("{") { return nil }
        return (String(key.trimmingCharacters(in: .whitespaces)), after.drop { $0 == " " })
    }

    private static func stripComment(_ line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" && (previous == " " || i == line.startIndex) {
                return Substring(String(line[..<i]).trimmingTrailingSpaces())
            }
            previous = c
        }
        return Substring(String(line).trimmingTrailingSpaces())
    }

    private static func scalar(_ text: Substring, line: Int, column: Int) throws -> Any {
        var reader = FlowReader(chars: Array(text), line: line, column: column)
        let value = try reader.value()
        reader.skipSpaces()
        if !reader.atEnd { throw reader.error("unexpected text after the value") }
        return value
    }

    private struct FlowReader {
        let chars: [Character]
        var i = 0
        let line: Int
        let column: Int

        init(chars: [Character], line: Int, column: Int) {
            self.chars = chars
            self.line = line
            self.column = column
        }

        var atEnd: Bool { i >= chars.count }

        func error(_ message: String) -> ParseError { ParseError(line: line, column: column + i, message: message) }

        mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

        mutating func value(inFlow: Bool = false) throws -> Any {
            skipSpaces()
            guard i < chars.count else { throw error("missing value") }
            switch chars[i] {
            case "[":
                i += 1
                var items: [Any] = []
                skipSpaces()
                if i < chars.count, chars[i] == "]" { i += 1; return items }
                while true {
                    items.append(try value(inFlow: true))
                    skipSpaces()
                    guard i < chars.count else { throw error("unterminated '['") }
                    if chars[i] == "]" { i += 1; return items }
                    guard chars[i] == "," else { throw error("expected ',' or ']'") }
                    i += 1
                }
            case "{":
                i += 1
                var map: [String: Any] = [:]
                skipSpaces()
                if i < chars.count, chars[i] == "}" { i += 1; return map }
                while true {
                    skipSpaces()
                    guard let key = try value(inFlow: true) as? String else { throw error("mapping keys must be strings") }
                    skipSpaces()
                    guard i < chars.count, chars[i] == ":" else { throw error("expected ':' after key '\(key)'") }
                    i += 1
                    map[key] = try value(inFlow: true)
                    skipSpaces()
                    guard i < chars.count else { throw error("unterminated '{'") }
                    if chars[i] == "}" { i += 1; return map }
                    guard chars[i] == "," else { throw error("expected ',' or '}'") }
                    i += 1
                }
            case "\"":
                let start = i
                i += 1
                var escaped = false
                while i < chars.count {
                    if escaped { escaped = false } else if chars[i] == "\\" { escaped = true } else if chars[i] == "\"" { break }
                    i += 1
                }
                guard i < chars.count else { throw error("unterminated string") }
                i += 1
                let json = String(chars[start..<i])
                guard let s = try? JSONDecoder().decode(String.self, from: Data(json.utf8)) else {
                    throw error("invalid escape in double-quoted string")
                }
                return s
            case "'":
                i += 1
                var s = ""
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" { s.append("'"); i += 2; continue }
                        break
                    }
                    s.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw error("unterminated string") }
                i += 1
                return s
            case "&", "*", "!", "|", ">", "%", "@", "`":
                throw error("'\(chars[i])' (anchors, tags, block scalars) is not supported in model cards")
            default:
                let start = i
                while i < chars.count {
                    let c = chars[i]
                    if inFlow && (c == "," || c == "]" || c == "}" || c == ":") { break }
                    i += 1
                }
                let plain = String(chars[start..<i]).trimmingTrailingSpaces()
                return typed(plain)
            }
        }

        func typed(_ plain: String) -> Any {
            switch plain {
            case "true", "True": return NSNumber(value: true)
            case "false", "False": return NSNumber(value: false)
            case "null", "~", "Null": return NSNull()
            default:
                if let n = Int(plain) { return NSNumber(value: n) }
                if plain.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true, let d = Double(plain) {
                    return NSNumber(value: d)
                }
                return plain
            }
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension ModelCard {
    /// Decodes a card from YAML text (the subset described at `CardYAML`).
    /// Errors carry `line:column` for syntax and the key path for a missing or mistyped field.
    public static func parse(yaml: String) throws(ScoringError) -> ModelCard {
        let object: Any
        do {
            object = try CardYAML.parse(yaml)
        } catch {
            throw ScoringError(.invalidCard, "model card YAML: \(error)")
        }
        return try decode(fromJSONObject: object)
    }

    /// Decodes a card from already-parsed YAML or JSON (dictionaries, arrays, strings, numbers),
    /// for callers that have their own YAML parser.
    public static func decode(fromJSONObject object: Any) throws(ScoringError) -> ModelCard {
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(ModelCard.self, from: data)
        } catch let error as DecodingError {
            throw ScoringError(.invalidCard, "model card: \(describe(error))")
        } catch {
            throw ScoringError(.invalidCard, "model card: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "'\(path(context.codingPath))' must be \(type)"
        case .dataCorrupted(let context):
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
