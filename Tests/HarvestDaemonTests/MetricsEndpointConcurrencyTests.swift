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

        let dripper = try Dripper(port: port)
        async let dripping: Void = offPool { dripper.run(interval: 0.25, limit: 40) }
        let probes = try await offPool { () -> [Probe] in
            while dripper.bytesSent < 3 { usleep(10_000) }
            return (0..<3).map { _ in
                let answer = httpGet(port: port, path: "/healthz")
                return Probe(status: answer?.status, body: answer?.body, answeredAfter: Self.now() - dripper.started,
                             dripperConnected: dripper.cutAfter == nil)
            }
        }
        for probe in probes {
            print("metrics probe: \(probe.status.map(String.init) ?? "no answer") \(probe.answeredAfter) s after the dripper connected")
            #expect(probe.status == 200 && probe.body == "ok\n")
            #expect(probe.dripperConnected, "answered while the dripping client still held its connection")
        }

        // The dripper is cut at the deadline, long before it could finish its ~250-byte head.
        let cut = try await offPool { () -> Double? in
            let giveUp = Self.now() + 35
            while dripper.cutAfter == nil && Self.now() < giveUp { usleep(20_000) }
            return dripper.cutAfter
        }
        let after = try #require(cut, "the dripping client was never disconnected")
        print("metrics dripper: cut \(after) s after connecting (head deadline \(deadline) s, \(dripper.bytesSent) bytes dripped)")
        #expect(after >= deadline - 0.1, "cut after \(after) s, before the \(deadline) s deadline")
        #expect(dripper.bytesSent < 200, "the head never completed (\(dripper.bytesSent) bytes sent)")
        let stats = server.connectionStats()
        #expect(stats.headDeadlinesMissed == 1 && stats.requestsReceived == 3)
        #expect(try await offPool { httpGet(port: port, path: "/healthz")?.status } == 200)
        try await dripping
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
