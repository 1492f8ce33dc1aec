import CurlTransport
import Foundation
import HarvestTestSupport
import Testing

/// Throughput against the loopback server; runs only with `HARVEST_BENCH=1`.
@Suite("CurlTransport benchmark", .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct CurlTransportBenchmark {
    @Test func fiveThousandRequestsSixtyFourInFlight() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let total = 5000
        let started = ContinuousClock.now
        let succeeded = try await sendEchoes(total: total, width: 64, through: transport, to: server.url("/echo"))
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("bench: \(total) requests, 64 in flight, \(Int(Double(total) / seconds)) req/s, "
            + "\(server.acceptedConnections) connections, \(String(format: "%.2f", seconds)) s")
        #expect(succeeded == total)
    }
}
