#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Talks to systemd's service manager (`sd_notify` protocol, no libsystemd): one unix datagram per message to
/// `$NOTIFY_SOCKET`, a file system path or an `@abstract` name. Does nothing when the variable is unset, so the
/// daemon runs the same outside systemd.
public struct SystemdNotifier: Sendable {
    /// The socket address from `NOTIFY_SOCKET`, nil when not under a `Type=notify` unit.
    public let socketPath: String?
    /// The watchdog interval from `WATCHDOG_USEC` (when `WATCHDOG_PID` is unset or this process), in seconds.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if path != nil, pidMatches, let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            watchdogInterval = usec / 1_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// True when a notify socket is configured.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1` with a status line.
    @discardableResult public func ready(status: String) -> Bool { send("READY=1\nSTATUS=\(status)") }
    /// `STATUS=…`, shown by `systemctl status`.
    @discardableResult public func status(_ text: String) -> Bool { send("STATUS=\(text)") }
    /// `WATCHDOG=1`.
    @discardableResult public func watchdog() -> Bool { send("WATCHDOG=1") }
    /// `STOPPING=1` with a status line.
    @discardableResult public func stopping(status: String) -> Bool { send("STOPPING=1\nSTATUS=\(status)") }
    /// `RELOADING=1` (then `READY=1` once the new config is in use).
    @discardableResult public func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return send("RELOADING=1\nMONOTONIC_USEC=\(Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000)")
    }

    /// Sends one datagram of newline-separated `KEY=VALUE` assignments; false when unset or it failed.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath, socketPath.utf8.count < 108, socketPath.hasPrefix("/") || socketPath.hasPrefix("@") else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace: leading NUL, no terminator
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), sa, length) }
            }
        }
        return sent == bytes.count
    }
}
