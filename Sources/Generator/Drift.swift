/// `--drift ATTRIBUTE=GROUP:SHIFT`: from record `--drift-at` on, the shipped model's positive
/// decisions for records whose ATTRIBUTE is GROUP are SHIFT more frequent (negative: less).
public struct Drift: Sendable, Equatable {
    public var attribute: String
    public var group: String
    public var shift: Double
    /// The index (from 0) of the first record the drift applies to.
    public var start: Int

    public init(attribute: String, group: String, shift: Double, start: Int) {
        self.attribute = attribute
        self.group = group
        self.shift = shift
        self.start = start
    }

    /// Parses `ATTRIBUTE=GROUP:SHIFT` and checks it against the scenario's attributes.
    public init(parsing text: String, start: Int, scenario: Scenario) throws(GeneratorError) {
        guard let equals = text.firstIndex(of: "="), let colon = text.lastIndex(of: ":"), equals < colon,
            let shift = Double(text[text.index(after: colon)...]), shift.isFinite
        else {
            throw GeneratorError("--drift takes ATTRIBUTE=GROUP:SHIFT, e.g. region=north:0.2")
        }
        let attribute = String(text[..<equals])
        let group = String(text[text.index(after: equals)..<colon])
        guard let values = scenario.attributes.first(where: { $0.name == attribute })?.values else {
            let names = scenario.attributes.map(\.name).joined(separator: ", ")
            throw GeneratorError(
                "--drift: \(scenario.rawValue) records have no attribute '\(attribute)'; use one of \(names)")
        }
        guard values.contains(group) else {
            throw GeneratorError(
                "--drift: '\(group)' is not a value of \(attribute); use one of \(values.joined(separator: ", "))")
        }
        guard start >= 0 else { throw GeneratorError("--drift-at must be 0 or more") }
        self.init(attribute: attribute, group: group, shift: shift, start: start)
    }
}

public struct GeneratorError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
