import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for a `steward run` to answer `GET /ready` with 200 (its first partition assignment is in
/// and its state restored), so paced records are sent only once it reads: their latencies then
/// measure the pipeline, not the group's formation (about 25 s on Tansu).
struct ReadyProbe {
    let port: Int

    /// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("no socket for a free port: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ValidationError("could not bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    /// Whether `GET /ready` answers `HTTP/1.x 200` now.
    func isReady() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = Self.loopback(port: UInt16(port))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return false }
        let request = Array("GET /ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let read = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard read >= 12 else { return false }
        let status = String(decoding: reply[0..<read], as: UTF8.self)
        return status.hasPrefix("HTTP/1.") && status.dropFirst(9).hasPrefix("200")
    }

    /// Polls `/ready` every 50 ms until it answers 200; fails after `timeout` or when `run` exits.
    func wait(for run: Process, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while !isReady() {
            guard run.isRunning else { throw ValidationError("steward run exited before it was ready") }
            guard ContinuousClock.now < deadline else {
                throw ValidationError("steward run was not ready (GET /ready on port \(port)) within \(timeout)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
