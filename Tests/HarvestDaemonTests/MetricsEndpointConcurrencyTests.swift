#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import Testing
@testable import HarvestDaemon

/// Issue #10 item 8: a client dripping its request a byte at a time must not hold `/healthz` and `/metrics`
/// hostage; it holds only its own connection, and is cut once the head deadline passes.
@Suite struct MetricsEndpointConcurrencyTests {
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Connects and sends `GET /metrics …` one byte every `interval` seconds until the server hangs up or
    /// `limit` seconds pass. Returns when the connection ended and how long after connecting.
    final class Dripper: @unchecked Sendable {
        let client: TestHTTPClient
        let started = MetricsEndpointConcurrencyTests.now()
        private let lock = NSLock()
        private var endedAt: Double?
        private var sentBytes = 0

        init(port: Int) throws {
            client = try TestHTTPClient(port: port, timeout: 0.05)
        }

        func run(interval: Double, limit: Double) {
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

        /// Seconds from connect to the server's hang-up, or nil while still connected.
        var cutAfter: Double? { lock.withLock { endedAt.map { $0 - started } } }
        var bytesSent: Int { lock.withLock { sentBytes } }
    }

    @Test func drippingClientDoesNotBlockProbesAndIsCutAtTheDeadline() async throws {
        let deadline = 8.0  // long enough that the probes finish first even on a loaded machine
        let server = MetricsServer(address: MetricsAddress(port: 0), headDeadline: deadline) { path in
            path == "/healthz" ? .init(status: 200, body: "ok\n") : .init(status: 404, body: "no\n")
        }
        let port = try server.start()
        defer { server.stop() }

        let dripper = try Dripper(port: port)
        let thread = Thread { dripper.run(interval: 0.25, limit: 40) }
        thread.start()
        // Let the dripper get its connection accepted and a few bytes in.
        while dripper.bytesSent < 3 { try await Task.sleep(for: .milliseconds(20)) }

        // Probes while the dripper holds its connection: each answered before the dripper was cut.
        for _ in 0..<3 {
            let health = try #require(httpGet(port: port, path: "/healthz"))
            let answeredAfter = Self.now() - dripper.started
            print("metrics probe: 200 at \(answeredAfter) s after the dripper connected (\(dripper.bytesSent) bytes dripped)")
            #expect(health.status == 200 && health.body == "ok\n")
            #expect(dripper.cutAfter == nil || dripper.cutAfter! > answeredAfter,
                    "the probe was answered while the dripping client still held its connection")
        }
        let during = server.connectionStats()
        #expect(during.requestsReceived == 3)
        if dripper.cutAfter == nil {
            #expect(during.headDeadlinesMissed == 0)
            #expect(during.openConnections >= 1, "the dripping client's connection is open")
        }

        // The dripper is cut at the deadline, long before it could finish its ~250-byte head.
        var waited = 0.0
        while dripper.cutAfter == nil && waited < 35 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 0.05
        }
        let cut = try #require(dripper.cutAfter, "the dripping client was never disconnected")
        print("metrics dripper: cut \(cut) s after connecting (head deadline \(deadline) s, \(dripper.bytesSent) bytes dripped)")
        #expect(cut >= deadline - 0.1, "cut after \(cut) s, before the \(deadline) s deadline")
        #expect(cut < deadline + 10, "cut after \(cut) s")
        #expect(dripper.bytesSent < 200, "the head never completed (\(dripper.bytesSent) bytes sent)")
        #expect(server.connectionStats().headDeadlinesMissed == 1)
        #expect(httpGet(port: port, path: "/healthz")?.status == 200)
        while thread.isExecuting { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func silentClientsBeyondTheConnectionLimitDoNotStopTheServer() async throws {
        let server = MetricsServer(address: MetricsAddress(port: 0), headDeadline: 1, maxConnections: 4) { _ in
            .init(status: 200, body: "ok\n")
        }
        let port = try server.start()
        defer { server.stop() }
        // Eight silent connections: four held until the deadline, four closed on accept.
        let silent = try (0..<8).map { _ in try TestHTTPClient(port: port, timeout: 0.05) }
        var waited = 0.0
        while server.connectionStats().connectionsAccepted < 8 && waited < 10 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 0.02
        }
        #expect(server.connectionStats().connectionsRefused == 4)
        // Once the deadline frees the held ones, probes are answered again.
        var status: Int?
        waited = 0
        while status != 200 && waited < 15 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 0.1
            status = httpGet(port: port, path: "/healthz")?.status
        }
        #expect(status == 200)
        #expect(server.connectionStats().headDeadlinesMissed >= 4)
        withExtendedLifetime(silent) {}
    }
}
