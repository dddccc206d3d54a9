import Foundation

extension AuditState {
    /// The state as JSON, for the processor's snapshot (the changelog).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(self))
    }

    /// A state from `json()`.
    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(AuditState.self, from: Data(json))
    }
}
