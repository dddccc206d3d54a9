import CRdKafka
import Logging
import Synchronization

/// librdkafka's own log lines (configuration warnings, connection errors) go through swift-log
/// instead of straight to standard error, so the chosen log format and level hold for every line.
public enum KafkaLogging {
    static let logger = Mutex(Logger(label: "steward.kafka"))

    /// The logger librdkafka's messages are written to from now on (every client shares it).
    public static func use(_ logger: Logger) {
        self.logger.withLock { $0 = logger }
    }

    /// syslog severities, as librdkafka reports them, to swift-log levels.
    static func level(syslog: Int32) -> Logger.Level {
        switch syslog {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}

/// The `log_cb` every client's configuration gets; called on librdkafka's threads.
func rdkafkaLogCallback(
    _ client: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?
) {
    let logger = KafkaLogging.logger.withLock { $0 }
    let text = message.map { String(cString: $0) } ?? ""
    let name = client.map { String(cString: rd_kafka_name($0)) } ?? ""
    logger.log(
        level: KafkaLogging.level(syslog: level), "\(text)",
        metadata: ["facility": "\(facility.map { String(cString: $0) } ?? "")", "client": "\(name)"])
}
