import CurlTransport
import Foundation
import HarvestCore
import Synchronization

/// The mock teacher's own ceiling: a loopback load generator that drives CurlTransport directly with the same
/// request bodies harvest would send (no decoding, no store), `concurrency` requests in flight.
struct LoadGenerator {
    /// What one run measured.
    struct Result {
        var requests: Int
        var ok: Int
        var seconds: Double
        var generatorCPU: Double
        var mockCPU: Double
        var peakRSS: Double
        /// Completions per second between 20 % and 80 % of the requests (no ramp-up, no tail).
        var steadyRate: Double
        var requestsPerSecond: Double { Double(ok) / seconds }
    }

    var baseURL: String
    var concurrency: Int
    var maxTokens: Int
    var logprobs: Int?

    /// A chat body like harvest's for prompt `i` (same text, seed and parameters, so the same answer size).
    func body(_ i: Int) -> [UInt8] {
        var s = #"{"model":"mock-teacher","messages":[{"role":"user","content":"\#(BenchPrompts.text(i))"}],"#
        s += #""max_tokens":\#(maxTokens),"temperature":0.7,"seed":7,"n":1,"#
        if let k = logprobs { s += #""logprobs":true,"top_logprobs":\#(k),"# }
        s += #""stream":false}"#
        return Array(s.utf8)
    }

    /// Sends `total` requests and measures throughput and CPU (its own and the mock's, `mockPID`).
    func run(total: Int, mockPID: Int32) async throws -> Result {
        let transport = try CurlTransport(configuration: .init(maxConnections: concurrency * 2))
        defer { transport.shutdown() }
        let url = baseURL + "/chat/completions"
        let headers = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")]
        let bodies = (0..<min(total, 4096)).map(body)
        let next = Counter()
        let ok = Counter()
        // Warm the connections up, outside the measurement.
        _ = try? await transport.send(HTTPRequest(url: url, headers: headers, body: bodies[0]))
        ProcessProbe.resetPeakRSS()
        let cpu0 = ProcessProbe.cpuSeconds()
        let mock0 = ProcessProbe.cpuSeconds(pid: mockPID)
        let start = ContinuousClock.now
        let sampler = Task {
            var t20: ContinuousClock.Instant?, t80: ContinuousClock.Instant?
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
                let done = ok.value.withLock { $0 }
                if t20 == nil, done * 5 >= total { t20 = .now }
                if t80 == nil, done * 5 >= total * 4 { t80 = .now }
            }
            return t20.flatMap { a in t80.map { b in Double(total) * 0.6 / seconds(b - a) } } ?? 0
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let i = next.value.withLock { n -> Int? in
                            guard n < total else { return nil }
                            n += 1
                            return n - 1
                        }
                        guard let i else { return }
                        let request = HTTPRequest(url: url, headers: headers, body: bodies[i % bodies.count],
                                                  timeouts: HTTPTimeouts(connect: 10, total: 120))
                        if let r = try? await transport.send(request), r.status == 200 { ok.value.withLock { $0 += 1 } }
                    }
                }
            }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        sampler.cancel()
        let steady = await sampler.value
        return Result(requests: total, ok: ok.value.withLock { $0 }, seconds: elapsed, generatorCPU: ProcessProbe.cpuSeconds() - cpu0,
                      mockCPU: ProcessProbe.cpuSeconds(pid: mockPID) - mock0, peakRSS: ProcessProbe.peakRSSMiB(), steadyRate: steady)
    }
}

/// A shared integer.
final class Counter: Sendable {
    let value = Mutex(0)
}

/// The benchmark's prompt texts (shared by the load generator and the harvest runs).
enum BenchPrompts {
    static func text(_ i: Int) -> String { "Benchmark prompt number \(i): explain topic \(i % 97) briefly." }
}
