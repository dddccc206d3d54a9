import ArgumentParser
import Foundation
import Logging
import Pipeline

/// `--log-format text|json` and `--log-level`: how the long-running verbs log (to standard error).
/// Log lines carry counts, positions, names and error codes; never a record's content or a secret.
public struct LogOptions: ParsableArguments {
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case text, json
    }

    @Option(help: "Log line format: text or json (one JSON object per line).")
    public var logFormat: Format = .text

    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error or critical.")
    public var logLevel: Logger.Level = .info

    public init() {}

    /// Installs the handler once for the process and returns the verb's logger.
    public func bootstrap(label: String) -> Logger {
        let format = logFormat
        let level = logLevel
        LogSetup.once {
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler =
                    format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Bootstraps the logging system at most once (swift-log allows one bootstrap per process).
enum LogSetup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func once(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}

/// One JSON object per line on standard error: `ts` (RFC 3339 UTC), `level`, `label`, `message`, then
/// the metadata as strings, keys sorted.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var line = "{\"ts\":\(Self.quoted(Self.timestamp())),\"level\":\(Self.quoted(event.level.rawValue)),"
        line += "\"label\":\(Self.quoted(label)),\"message\":\(Self.quoted("\(event.message)"))"
        for key in fields.keys.sorted() {
            line += ",\(Self.quoted(key)):\(Self.quoted("\(fields[key]!)"))"
        }
        line += "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp.formatRFC3339(milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.writeString(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
