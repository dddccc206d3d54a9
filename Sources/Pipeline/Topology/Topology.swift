/// One pipeline: where records come from, what is done to them, and where the results go.
///
/// A topology is a value: it is decoded from YAML, validated, described, and then run by either
/// runtime (`steward replay` offline, `steward run` against Kafka) with identical results.
public struct Topology: Sendable, Equatable {
    /// Names the pipeline; output topics default to `<name>.sanitized`, `<name>.dlq`, ….
    public var name: String
    public var description: String
    public var input: Input
    public var output: Output
    public var delivery: Delivery
    /// Engine sections (`redaction:`, `scoring:`, `privacy:`, `fairness:`) kept as parsed YAML for
    /// the engine that owns each, in declaration order.
    public var sections: [Section]

    public init(
        name: String, description: String = "", input: Input, output: Output? = nil,
        delivery: Delivery = .exactlyOnce, sections: [Section] = []
    ) {
        self.name = name
        self.description = description
        self.input = input
        self.output = output ?? Output(topologyName: name)
        self.delivery = delivery
        self.sections = sections
    }

    /// How input messages are read and checked before any stage sees them.
    public struct Input: Sendable, Equatable {
        public var topics: [String]
        /// Messages larger than this go to the dead-letter topic as `too_large`.
        public var maxMessageBytes: Int
        /// Fields every record must have (`missing_field` otherwise).
        public var requiredFields: [String]
        /// Declared JSON types of fields, checked when the field is present (`wrong_type` otherwise).
        public var fieldTypes: [FieldType]
        /// The field that holds the record's event time (RFC 3339 string or epoch milliseconds).
        public var eventTimeField: String?
        /// The field whose value becomes the CloudEvent `subject`.
        public var subjectField: String?

        public init(
            topics: [String], maxMessageBytes: Int = 1_048_576, requiredFields: [String] = [],
            fieldTypes: [FieldType] = [], eventTimeField: String? = nil, subjectField: String? = nil
        ) {
            self.topics = topics
            self.maxMessageBytes = maxMessageBytes
            self.requiredFields = requiredFields
            self.fieldTypes = fieldTypes
            self.eventTimeField = eventTimeField
            self.subjectField = subjectField
        }
    }

    public struct FieldType: Sendable, Equatable {
        public var field: String
        public var type: JSONType

        public init(field: String, type: JSONType) {
            self.field = field
            self.type = type
        }
    }

    public enum JSONType: String, Sendable, CaseIterable {
        case string, number, integer, boolean, object, array

        func admits(_ value: JSONValue) -> Bool {
            switch (self, value) {
            case (.string, .string), (.number, .number), (.boolean, .bool), (.object, .object), (.array, .array):
                return true
            case (.integer, .number(let text)):
                return !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            default:
                return false
            }
        }
    }

    /// Output topic names.
    public struct Output: Sendable, Equatable {
        public var sanitized: String
        public var deadLetter: String
        public var aggregates: String
        public var alerts: String
        public var audit: String
        /// The compacted topic holding the stream stages' state (not an output consumers read).
        public var changelog: String
        /// With several instances (`steward run --scale-out`), what the record stages hand to the
        /// one instance that runs the stream part (not an output consumers read).
        public var repartition: String

        public init(topologyName name: String) {
            sanitized = "\(name).sanitized"
            deadLetter = "\(name).dlq"
            aggregates = "\(name).aggregates"
            alerts = "\(name).alerts"
            audit = "\(name).audit"
            changelog = "\(name).changelog"
            repartition = "\(name).repartition"
        }
    }

    /// Delivery guarantee of the Kafka runtime.
    public enum Delivery: String, Sendable, Equatable {
        /// Outputs and input offsets in one Kafka transaction.
        case exactlyOnce = "exactly_once"
        /// Outputs flushed, then offsets committed: duplicates possible after a crash, never loss.
        /// For brokers without transactions; consumers de-duplicate on the CloudEvent `id`.
        case atLeastOnce = "at_least_once"
    }

    /// An engine's section, kept for that engine to decode. The core does not look inside: the
    /// reader that read the file stores what it parsed (for YAML, the node with its marks, so a
    /// problem anywhere inside the section is reported at its own line and column).
    public struct Section: Sendable, Equatable {
        public var key: String
        public var content: any SectionContent
        public var line: Int
        public var column: Int

        public init(key: String, content: any SectionContent, line: Int, column: Int) {
            self.key = key
            self.content = content
            self.line = line
            self.column = column
        }

        public static func == (lhs: Section, rhs: Section) -> Bool {
            lhs.key == rhs.key && lhs.line == rhs.line && lhs.column == rhs.column && lhs.content.isEqual(to: rhs.content)
        }
    }
}

/// A section's parsed content, opaque to the core: the reader that stores it and the stage that
/// decodes it agree on its type.
public protocol SectionContent: Sendable {
    func isEqual(to other: any SectionContent) -> Bool
}
