#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import HarvestDaemon

/// A unix datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let fd: Int32
    let name: String

    /// Binds a path socket, or an abstract one when `abstract` (NOTIFY_SOCKET then starts with `@`).
    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let id = "harvest-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        name = abstract ? "@" + id : NSTemporaryDirectory() + id
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }
}

@Suite struct SystemdNotifierTests {
    @Test(arguments: [false, true])
    func sendsToPathAndAbstractSockets(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        #expect(notifier.ready(status: "serving"))
        #expect(socket.receive() == "READY=1\nSTATUS=serving")
        #expect(notifier.stopping(status: "draining"))
        #expect(socket.receive() == "STOPPING=1\nSTATUS=draining")
    }

    /// A notify socket nobody reads (a stuck or absent manager) fills after a few datagrams; the daemon must not block
    /// on it (it did: the sending thread hung and SIGTERM went unanswered).
    @Test func aFullNotifySocketNeverBlocksTheSender() async throws {
        let socket = try NotifySocket(abstract: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        let results = Mutex<[Bool]?>(nil)
        let sender = Thread {
            let sent = (0..<200).map { notifier.status("progress \($0)") }
            results.withLock { $0 = sent }
        }
        sender.start()
        let deadline = Date().addingTimeInterval(30)
        while results.withLock({ $0 == nil }), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let sent = try #require(results.withLock { $0 }, "200 sends to a full socket did not return within 30 s")
        #expect(sent.first == true)
        #expect(sent.contains(false), "the socket never filled, so nothing was tested")
        #expect(socket.receive() == "STATUS=progress 0")
    }

    @Test func withoutNotifySocketNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled && notifier.watchdogInterval == nil)
        #expect(!notifier.ready(status: "x"))
    }

    @Test func watchdogIntervalIsReadForThisProcessOnly() {
        let mine = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine.watchdogInterval == 30)
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogInterval == nil)
    }
}
