/// The one error type of the privacy engine. Messages never contain secrets.
public struct PrivacyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem this is; the raw value is the stable code shown to users.
    public enum Code: String, Sendable {
        case noiseKey = "noise_key"
        case configuration
        case horizonExceeded = "horizon_exceeded"
        case snapshot
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "privacy \(code.rawValue): \(message)" }
}
