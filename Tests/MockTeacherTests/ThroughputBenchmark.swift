#if canImport(Glibc)
import Glibc
import HarvestTestSupport
#endif
import MockTeacher
import Testing

/// Throughput of the mock teacher: `HARVEST_BENCH=1 swift test -c release --filter ThroughputBenchmark`.
/// Prints responses/s for 1 and 64 keep-alive connections, and the server's CPU cost per response
/// (process CPU minus the client threads' own CPU).
@Suite struct ThroughputBenchmark {
    static let enabled = getenv("HARVEST_BENCH") != nil

    @Test(.enabled(if: enabled)) func chatWith128TokensTop5() throws {
        let server = MockTeacherServer(MockTeacherConfiguration())
        let port = try server.start()
        defer { server.stop() }
        for connections in [1, 64] {
            let result = Self.run(port: port, connections: connections, seconds: 3)
            print("""
                mock-teacher bench: \(connections) connection(s): \(Int(result.rate)) responses/s, \
                \(result.bytes / max(result.responses, 1)) bytes/response, \
                server CPU \(format1(result.serverMicros)) µs/response \
                (≈ \(Int(1e6 / max(result.serverMicros, 1))) responses per server core-second)
                """)
            #expect(result.responses > 0)
        }
    }

    struct Result { var responses: Int; var bytes: Int; var rate: Double; var serverMicros: Double }

    final class Worker: @unchecked Sendable {
        let port: Int
        let deadline: Double
        var responses = 0
        var bytes = 0
        var cpuSeconds = 0.0
        init(port: Int, deadline: Double) { self.port = port; self.deadline = deadline }

        func run(index: Int) {
            guard let client = try? TestHTTPClient(port: port) else { return }
            let body = chatBody(maxTokens: 128, topLogprobs: 5, seed: index)
            let request = TestHTTPClient.requestBytes("POST", "/v1/chat/completions", body: body)
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            while now() < deadline {
                _ = request.withUnsafeBytes { send(client.fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                var filled = 0
                var needed = Int.max
                while filled < needed {
                    let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress! + filled, $0.count - filled, 0) }
                    if n <= 0 { return }
                    filled += n
                    if needed == Int.max, let (headEnd, length) = Self.head(buffer, filled) { needed = headEnd + length }
                }
                responses += 1
                bytes += filled
            }
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            cpuSeconds = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }

        /// End of the head and the Content-Length, once the head has arrived.
        static func head(_ buffer: [UInt8], _ filled: Int) -> (Int, Int)? {
            guard filled >= 4 else { return nil }
            for i in 0...(filled - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                let head = String(decoding: buffer[0..<i], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    return (i + 4, Int(line.dropFirst(15).filter(\.isNumber)) ?? 0)
                }
                return nil
            }
            return nil
        }
    }

    static func run(port: Int, connections: Int, seconds: Double) -> Result {
        let cpuBefore = processCPU()
        let start = now()
        let workers = (0..<connections).map { _ in Worker(port: port, deadline: start + seconds) }
        let threads = workers.enumerated().map { i, worker in startThread { worker.run(index: i) } }
        for thread in threads { pthread_join(thread, nil) }
        let elapsed = now() - start
        let responses = workers.reduce(0) { $0 + $1.responses }
        let clientCPU = workers.reduce(0) { $0 + $1.cpuSeconds }
        let serverCPU = processCPU() - cpuBefore - clientCPU
        return Result(responses: responses, bytes: workers.reduce(0) { $0 + $1.bytes },
                      rate: Double(responses) / elapsed, serverMicros: serverCPU / Double(max(responses, 1)) * 1e6)
    }
}

private func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

private func processCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

private func format1(_ value: Double) -> String {
    String(Double(Int(value * 10)) / 10)
}
