#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import Testing
@testable import HarvestDaemon

/// Issue #10 item 8: a client dripping its request a byte at a time must not hold `/healthz` and `/metrics`
/// hostage; it holds only its own connection, and is cut once the head deadline passes. The sockets are driven
/// from their own threads (``offPool(_:)``), so a busy cooperative pool cannot skew what is measured.
@Suite struct MetricsEndpointConcurrencyTests {
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Connects and sends `GET /metrics …` (with a 200-byte header) one byte every `interval` seconds until the
    /// server hangs up or `limit` seconds pass.
    final class Dripper: @unchecked Sendable {
        let port: Int
        private let lock = NSLock()
        private var startedAt: Double?
        private var endedAt: Double?
        private var sentBytes = 0

        init(port: Int) { self.port = port }

        func run(interval: Double, limit: Double) {
            guard let client = try? TestHTTPClient(port: port, timeout: 0.05) else {
                lock.withLock { startedAt = MetricsEndpointConcurrencyTests.now(); endedAt = startedAt }
                return
            }
            let started = MetricsEndpointConcurrencyTests.now()
            lock.withLock { startedAt = started }
            let request = TestHTTPClient.requestBytes("GET", "/metrics", headers: ["X-Padding: " + String(repeating: "p", count: 200)])
            var index = 0
            while MetricsEndpointConcurrencyTests.now() - started < limit {
                if index < request.count {
                    if (try? client.send([request[index]])) == nil { break }
                    index += 1
                    lock.withLock { sentBytes = index }
                }
                // A closed connection reads as EOF (or a reset); a timeout means it is still open.
                switch client.receiveOnce() {
                case .closed, .failed: lock.withLock { endedAt = MetricsEndpointConcurrencyTests.now() }; return
                case .data, .timedOut: break
                }
                usleep(UInt32(interval * 1_000_000))
            }
            lock.withLock { endedAt = MetricsEndpointConcurrencyTests.now() }
        }

        /// When it connected.
        var started: Double? { lock.withLock { startedAt } }
        /// Seconds from connect to the server's hang-up, or nil while still connected.
        var cutAfter: Double? { lock.withLock { endedAt.flatMap { end in startedAt.map { end - $0 } } } }
        var bytesSent: Int { lock.withLock { sentBytes } }
        var ended: Bool { lock.withLock { endedAt != nil } }
    }

    struct Probe: Sendable {
        var status: Int?
        var body: String?
        /// Seconds after the dripper connected.
        var answeredAfter: Double
        /// Whether the dripper was still connected when the answer arrived.
        var dripperConnected: Bool
    }

    @Test func drippingClientDoesNotBlockProbesAndIsCutAtTheDeadline() async throws {
        let deadline = 5.0
        let server = MetricsServer(address: MetricsAddress(port: 0), headDeadline: deadline) { path in
            path == "/healthz" ? .init(status: 200, body: "ok\n") : .init(status: 404, body: "no\n")
        }
        let port = try server.start()
        defer { server.stop() }

        // Everything that touches sockets runs on its own threads, so a busy cooperative pool cannot delay it.
        let dripper = Dripper(port: port)
        let (probes, cut) = try await offPool { () -> ([Probe], Double?) in
            let thread = Thread { dripper.run(interval: 0.25, limit: 40) }
            thread.start()
            let giveUp = Self.now() + 60
            while dripper.bytesSent < 3 && !dripper.ended && Self.now() < giveUp { usleep(10_000) }
            let probes = (0..<3).map { _ in
                let answer = httpGet(port: port, path: "/healthz")
                return Probe(status: answer?.status, body: answer?.body,
                             answeredAfter: Self.now() - (dripper.started ?? Self.now()),
                             dripperConnected: !dripper.ended)
            }
            while !dripper.ended && Self.now() < giveUp { usleep(20_000) }
            while thread.isExecuting && Self.now() < giveUp { usleep(10_000) }
            return (probes, dripper.cutAfter)
        }
        for probe in probes {
            print("metrics probe: \(probe.status.map(String.init) ?? "no answer") \(probe.answeredAfter) s after the dripper connected")
            #expect(probe.status == 200 && probe.body == "ok\n")
            #expect(probe.dripperConnected, "answered while the dripping client still held its connection")
        }

        // The dripper is cut at the deadline, long before it could finish its ~250-byte head.
        let after = try #require(cut, "the dripping client was never disconnected")
        print("metrics dripper: cut \(after) s after connecting (head deadline \(deadline) s, \(dripper.bytesSent) bytes dripped)")
        #expect(after >= deadline - 0.1, "cut after \(after) s, before the \(deadline) s deadline")
        #expect(after < 30, "cut by the server, not ended by the dripper's own time limit")
        #expect(dripper.bytesSent < 200, "the head never completed (\(dripper.bytesSent) bytes sent)")
        let stats = server.connectionStats()
        #expect(stats.headDeadlinesMissed == 1 && stats.requestsReceived == 3)
        #expect(try await offPool { httpGet(port: port, path: "/healthz")?.status } == 200)
    }

    @Test func silentClientsBeyondTheConnectionLimitDoNotStopTheServer() async throws {
        let server = MetricsServer(address: MetricsAddress(port: 0), headDeadline: 1, maxConnections: 4) { _ in
            .init(status: 200, body: "ok\n")
        }
        let port = try server.start()
        defer { server.stop() }
        let status = try await offPool { () -> Int? in
            // Eight silent connections: four held until the deadline, four closed on accept.
            let silent = try (0..<8).map { _ in try TestHTTPClient(port: port, timeout: 0.05) }
            let giveUp = Self.now() + 20
            while server.connectionStats().connectionsAccepted < 8 && Self.now() < giveUp { usleep(10_000) }
            // Once the deadline frees the held ones, probes are answered again.
            var status: Int?
            while status != 200 && Self.now() < giveUp {
                usleep(100_000)
                status = httpGet(port: port, path: "/healthz")?.status
            }
            withExtendedLifetime(silent) {}
            return status
        }
        #expect(status == 200)
        let stats = server.connectionStats()
        #expect(stats.connectionsRefused >= 4, "refused \(stats.connectionsRefused)")
        #expect(stats.headDeadlinesMissed >= 4)
    }
}
