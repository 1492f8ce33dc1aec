#if canImport(Glibc)
import Glibc
#endif
import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore
import Synchronization
import Testing

/// A loopback HTTP/1.1 server that answers the n-th request with the n-th body (the last one repeated) and closes.
final class ScriptedHTTPServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    let served = Mutex(0)
    private let bodies: [String]

    init(_ bodies: [String]) {
        self.bodies = bodies
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 16)
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: bound.sin_port))
        Thread { [self] in serve() }.start()
    }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            // Read the head, then Content-Length bytes of body.
            var data = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 65536)
            var need = Int.max
            while data.count < need {
                let n = recv(c, &buf, buf.count, 0)
                if n <= 0 { break }
                data += buf[0..<n]
                if need == Int.max, let end = String(decoding: data, as: UTF8.self).range(of: "\r\n\r\n") {
                    let head = String(decoding: data, as: UTF8.self)[..<end.lowerBound].lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    need = String(decoding: data, as: UTF8.self)[..<end.upperBound].utf8.count + length
                }
            }
            let path = String(decoding: data.prefix(200), as: UTF8.self).split(separator: " ").dropFirst().first ?? ""
            let body: String
            if path.hasSuffix("/models") {
                body = #"{"object":"list","data":[{"id":"m"}]}"#
            } else {
                let n = served.withLock { count -> Int in
                    count += 1
                    return count
                }
                body = bodies[min(n, bodies.count) - 1]
            }
            let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = response.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(c)
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

/// Hostile numbers over a real socket and libcurl: an invalid answer is sent twice at most and never stored;
/// odd usage keeps the one paid answer.
@Suite(.serialized) struct HostileNumbersLoopbackTests {
    func sweep(_ server: ScriptedHTTPServer, prompts: Int) async throws -> (SQLiteStore, Int64, TempDir) {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path("h.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: (0..<prompts).map {
            PromptInput(externalId: "\($0)", messages: [ChatMessage(role: "user", content: "q\($0)")], source: InputLocation(file: "f", line: $0 + 1))
        }, sourceName: "f")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "m")
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 4, topLogprobs: 1), samples: 1)
        let (pipeline, runner) = try pipelineRunner(
            store: store, url: teacher.baseURL, model: "m", maxInFlight: 2, retry: RetryPolicy(maxAttempts: 8, baseDelay: 0.001, maxDelay: 0.002),
            failFast: FailFastPolicy(stopOnAuthError: false, window: 0, maxMissingLogprobsRate: nil, maxUnavailableSeconds: nil, maxInitialFailures: nil),
            rescuePath: dir.path("rescue.jsonl"))
        defer { pipeline.shutdown() }
        _ = try await runner.run(sweepId: sweep.sweepId)
        return (store, sweep.sweepId, dir)
    }

    @Test func infinityAndPositiveLogprobsFailAfterTwoAttemptsEach() async throws {
        let server = ScriptedHTTPServer([
            #"{"choices":[{"message":{"content":"x"},"logprobs":{"content":[{"token":"x","logprob":Infinity,"top_logprobs":[]}]}}]}"#,
            #"{"choices":[{"message":{"content":"x"},"logprobs":{"content":[{"token":"x","logprob":5.0,"top_logprobs":[]}]}}]}"#,
        ])
        defer { server.stop() }
        let (store, sweepId, dir) = try await sweep(server, prompts: 3)
        defer { dir.cleanup() }
        #expect(server.served.withLock { $0 } == 3 * RetryPolicy.invalidAnswerAttempts)
        #expect(try store.jobStates(sweepId: sweepId)[.failed] == 3)
        #expect(try store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false)).isEmpty)
    }

    @Test func hugeAndNegativeUsageKeepsTheAnswer() async throws {
        let server = ScriptedHTTPServer([
            #"{"choices":[{"message":{"content":"ok"},"logprobs":{"content":[{"token":"ok","logprob":-0.1,"top_logprobs":[]}]}}],"usage":{"prompt_tokens":-5,"completion_tokens":1e30}}"#,
        ])
        defer { server.stop() }
        let (store, sweepId, dir) = try await sweep(server, prompts: 4)
        defer { dir.cleanup() }
        #expect(server.served.withLock { $0 } == 4, "one paid request per prompt, none repeated")
        #expect(try store.jobStates(sweepId: sweepId)[.done] == 4)
        let stored = try store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false))
        #expect(stored.count == 4)
        #expect(stored.allSatisfy { $0.usage?.promptTokens == nil && $0.usage?.completionTokens == Usage.maxTokens })
    }
}
