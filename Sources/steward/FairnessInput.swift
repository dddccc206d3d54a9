import Foundation
import Pipeline

/// Rows of a CSV or JSONL file reduced to the named columns, as text cells (nil when missing or null).
struct FairnessTable {
    var rows: [[String?]]
    /// 1-based source line of each row, for error messages.
    var lines: [Int]

    struct InputError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `path` (`.csv` with a header row, or `.jsonl` with one object per line), keeping `columns` in order.
    static func read(path: String, columns: [String]) throws -> FairnessTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(description: "\(path): cannot read the file")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // a UTF-8 byte-order mark
        if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") {
            return try readJSONLines(bytes, path: path, columns: columns)
        }
        if path.hasSuffix(".csv") { return try readCSV(bytes, path: path, columns: columns) }
        throw InputError(description: "\(path): unknown input format; expected a .csv or .jsonl file")
    }

    private static func readJSONLines(_ bytes: [UInt8], path: String, columns: [String]) throws -> FairnessTable {
        var table = FairnessTable(rows: [], lines: [])
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(Array(line)) } catch {
                throw InputError(description: "\(path):\(lineNumber): not JSON: \(error.message)")
            }
            guard case .object = value else {
                throw InputError(description: "\(path):\(lineNumber): expected a JSON object, found \(value.typeName)")
            }
            table.rows.append(
                columns.map { column in
                    switch value[column] {
                    case .string(let text): text
                    case .number(let lexeme): lexeme
                    case .bool(let flag): flag ? "true" : "false"
                    case .null, .none, .array, .object: nil
                    }
                })
            table.lines.append(lineNumber)
        }
        return table
    }

    private static func readCSV(_ bytes: [UInt8], path: String, columns: [String]) throws -> FairnessTable {
        let records = parseCSV(bytes)
        guard let header = records.first?.fields else { throw InputError(description: "\(path): empty CSV file") }
        var indices: [Int] = []
        for column in columns {
            guard let index = header.firstIndex(of: column) else {
                throw InputError(
                    description: "\(path):1: no column named '\(column)'; columns are \(header.joined(separator: ", "))"
                )
            }
            indices.append(index)
        }
        var table = FairnessTable(rows: [], lines: [])
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            table.rows.append(indices.map { $0 < record.fields.count ? record.fields[$0] : nil })
            table.lines.append(record.line)
        }
        return table
    }

    /// RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks.
    static func parseCSV(_ bytes: [UInt8]) -> [(fields: [String], line: Int)] {
        var records: [(fields: [String], line: Int)] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var line = 1
        var recordLine = 1
        var index = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): quoted = true
            case UInt8(ascii: ","): endField()
            case UInt8(ascii: "\r"): break
            case UInt8(ascii: "\n"):
                endField()
                records.append((fields, recordLine))
                fields.removeAll()
                line += 1
                recordLine = line
            default: field.append(byte)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            endField()
            records.append((fields, recordLine))
        }
        return records
    }
}

/// Reads a binary outcome cell: `1`/`true`/`yes` is positive, `0`/`-1`/`false`/`no` negative; with `positive`
/// given, exactly that text is positive and anything else negative.
func parseOutcome(_ cell: String, positive: String?) -> Bool? {
    if let positive { return cell == positive }
    switch cell.lowercased() {
    case "1", "1.0", "true", "yes": return true
    case "0", "0.0", "-1", "-1.0", "false", "no": return false
    default: return nil
    }
}
