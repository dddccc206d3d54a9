import CRdKafka

/// An error from Kafka or from librdkafka, with what the caller needs to decide what to do next.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, by kind (a stable snake_case code); extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let configuration = Code(name: "configuration")
        public static let clientCreation = Code(name: "client_creation")
        public static let produce = Code(name: "produce")
        public static let delivery = Code(name: "delivery")
        public static let transaction = Code(name: "transaction")
        public static let consume = Code(name: "consume")
        public static let commit = Code(name: "commit")
        public static let admin = Code(name: "admin")
        public static let timeout = Code(name: "timeout")
        public static let mockCluster = Code(name: "mock_cluster")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when there is one.
    public var kafkaCode: Int32?
    /// The client can no longer be used; it must be re-created (e.g. a fenced producer).
    public var isFatal: Bool
    /// The same call may succeed if retried.
    public var isRetriable: Bool
    /// The current transaction must be aborted before anything else.
    public var requiresAbort: Bool

    public init(
        code: Code, message: String, kafkaCode: Int32? = nil, isFatal: Bool = false, isRetriable: Bool = false,
        requiresAbort: Bool = false
    ) {
        self.code = code
        self.message = message
        self.kafkaCode = kafkaCode
        self.isFatal = isFatal
        self.isRetriable = isRetriable
        self.requiresAbort = requiresAbort
    }

    /// Another producer took over this producer's transactional id (a newer instance with the same
    /// id): nothing this producer does can succeed any more, an abort included.
    /// The group moved on while this call was under way (rebalance in progress, an older
    /// generation, a member the coordinator no longer knows): an offset commit refused for it.
    public var isRebalance: Bool {
        guard let kafkaCode else { return false }
        return [
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
        ].contains { $0.rawValue == kafkaCode }
    }

    public var isFenced: Bool {
        guard let kafkaCode else { return false }
        return [RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH]
            .contains { $0.rawValue == kafkaCode }
    }

    public var description: String {
        var flags: [String] = []
        if isFatal { flags.append("fatal") }
        if isRetriable { flags.append("retriable") }
        if requiresAbort { flags.append("abort required") }
        return "Kafka \(code) error: \(message)" + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))")
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    static func consuming(_ error: OpaquePointer, code: Code) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(
            code: code, message: String(cString: rd_kafka_error_string(error)),
            kafkaCode: rd_kafka_error_code(error).rawValue,
            isFatal: rd_kafka_error_is_fatal(error) != 0, isRetriable: rd_kafka_error_is_retriable(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0)
    }

    package static func response(_ error: rd_kafka_resp_err_t, code: Code, context: String) -> KafkaError {
        KafkaError(
            code: code, message: "\(context): \(String(cString: rd_kafka_err2str(error)))", kafkaCode: error.rawValue)
    }
}
