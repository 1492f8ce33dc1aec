import Foundation
import HarvestCore
import Testing

@testable import CurlTransport
import HarvestTestSupport

/// Fails the test unless `body` throws a ``TransportError`` of `kind`; returns the error.
@discardableResult
private func expectTransportError(
    _ kind: TransportError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> HTTPResponse
) async -> TransportError? {
    do {
        let response = try await body()
        Issue.record("expected \(kind), got status \(response.status)", sourceLocation: sourceLocation)
    } catch let error as TransportError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected TransportError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Polls `condition` until it holds or `seconds` pass.
private func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

@Suite("CurlTransport")
struct CurlTransportTests {
    @Test func postRoundTripEchoesBodyAndParsesHeaders() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        // Above curl's 1 MiB Expect: 100-continue threshold, so the empty Expect header matters.
        let body = (0..<1_100_000).map { UInt8(truncatingIfNeeded: $0) }
        let request = HTTPRequest(
            url: server.url("/v1/echo"), method: "POST",
            headers: [HTTPHeader("Content-Type", "application/octet-stream"), HTTPHeader("X-Probe", "p-42")],
            body: body)
        let response = try await transport.send(request)
        #expect(response.status == 200)
        #expect(response.body == body)
        #expect(response.header("X-ECHO-PROBE") == "p-42")
        #expect(response.header("x-echo-method") == "POST")
        #expect(response.header("X-Echo-Expect") == "no")
        #expect(response.header("content-length") == "\(body.count)")
    }

    @Test func getAndRateLimitStatusAreResponsesNotErrors() async throws {
        let server = try LoopbackServer()
        server.route("/limited", .tooManyRequests(retryAfter: 7))
        server.route("/models", .ok("{\"data\":[]}"))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let limited = try await transport.send(HTTPRequest(url: server.url("/limited"), body: Array("{}".utf8)))
        #expect(limited.status == 429)
        #expect(limited.header("retry-after") == "7")
        #expect(String(decoding: limited.body, as: UTF8.self) == "slow down")
        let models = try await transport.send(HTTPRequest(url: server.url("/models"), method: "GET"))
        #expect(models.status == 200)
        #expect(String(decoding: models.body, as: UTF8.self) == "{\"data\":[]}")
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        for index in 0..<200 {
            let response = try await transport.send(HTTPRequest(url: server.url("/echo"), body: Array("n\(index)".utf8)))
            #expect(response.body == Array("n\(index)".utf8))
        }
        #expect(server.requestCount == 200)
        #expect(server.acceptedConnections == 1)
    }

    @Test func thousandRequestsSixtyFourInFlight() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let total = 1000
        let width = 64
        let succeeded = try await sendEchoes(total: total, width: width, through: transport, to: server.url("/echo"))
        #expect(succeeded == total)
        #expect(server.requestCount == total)
        #expect(server.acceptedConnections <= width)
        #expect(server.acceptedConnections >= 1)
    }

    @Test func hostConnectionLimitAndOptionalSettingsAreHonoured() async throws {
        let server = try LoopbackServer()
        let configuration = CurlTransport.Configuration(
            maxConnections: 16, maxHostConnections: 4, userAgent: "harvest-test",
            verifyTLS: false, proxyFromEnvironment: false, http2: true, acceptCompressedResponses: true)
        let transport = try CurlTransport(configuration: configuration)
        defer { transport.shutdown() }
        // http2 negotiates only over TLS, so plain http stays on HTTP/1.1 keep-alive.
        let succeeded = try await sendEchoes(total: 200, width: 32, through: transport, to: server.url("/echo"))
        #expect(succeeded == 200)
        #expect(server.acceptedConnections <= 4)
    }

    @Test func closedPortFailsWithConnectAndHidesCredentials() async throws {
        // A bound socket that never listens refuses connections, and keeps the port taken.
        let reserved = try LoopbackServer.reservedClosedPort()
        defer { close(reserved.socket) }
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let url = "http://user:s3cret@127.0.0.1:\(reserved.port)/v1/chat?key=abc123"
        let error = await expectTransportError(.connect) {
            try await transport.send(HTTPRequest(url: url, timeouts: HTTPTimeouts(connect: 2, total: 5)))
        }
        #expect(error?.code == 7)  // CURLE_COULDNT_CONNECT
        #expect(error?.url == "http://127.0.0.1:\(reserved.port)/v1/chat")
        #expect(error?.description.contains("s3cret") == false)
        #expect(error?.description.contains("abc123") == false)
    }

    @Test func totalTimeoutFailsWithTimeoutPromptly() async throws {
        let server = try LoopbackServer()
        server.route("/slow", .delay(milliseconds: 300_000, body: "late"))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let started = ContinuousClock.now
        let error = await expectTransportError(.timeout) {
            try await transport.send(HTTPRequest(url: server.url("/slow"), timeouts: HTTPTimeouts(connect: 2, total: 0.3)))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == 28)  // CURLE_OPERATION_TIMEDOUT
        #expect(elapsed >= .milliseconds(250))
        // Promptly: the server saw the hang-up during its 300 s delay. (Wall time would also count the seconds other
        // suites may hold every cooperative thread on a busy 2-core machine.)
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 1 }, "hangups: \(server.hangupsDuringDelay)")
    }

    @Test func lowSpeedLimitFailsWithTimeout() async throws {
        let server = try LoopbackServer()
        // A long delay, so a starved test process still sees the cut happen during it (not after it).
        server.route("/stall", .delay(milliseconds: 300_000, body: "late"))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let timeouts = HTTPTimeouts(connect: 2, total: 60, lowSpeedSeconds: 1, lowSpeedBytes: 1)
        await expectTransportError(.timeout) {
            try await transport.send(HTTPRequest(url: server.url("/stall"), timeouts: timeouts))
        }
        // Cut during the server's 300 s delay, not after it.
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 1 })
    }

    @Test func firstByteLimitCutsASilentServer() async throws {
        let server = try LoopbackServer()
        server.route("/silent", .delay(milliseconds: 300_000, body: "late"))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let error = await expectTransportError(.timeout) {
            try await transport.send(HTTPRequest(url: server.url("/silent"),
                                                 timeouts: HTTPTimeouts(connect: 2, total: 60, firstByte: 0.3, idle: 0)))
        }
        #expect(error?.message.contains("first-byte") == true)
        // The server saw the hang-up during its 300 s delay: the limit cut the transfer, not the server.
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 1 }, "hangups: \(server.hangupsDuringDelay)")
        // The connection is dropped, and the transport keeps working.
        server.route("/ok", .ok("fine"))
        let ok = try await transport.send(HTTPRequest(url: server.url("/ok"), timeouts: HTTPTimeouts(connect: 2, total: 5, firstByte: 1, idle: 1)))
        #expect(ok.status == 200)
    }

    @Test func idleLimitCutsAStalledBodyButNotASlowStart() async throws {
        let server = try LoopbackServer()
        server.route("/stalled", .pauseMidBody(milliseconds: 300_000))
        server.route("/paused", .pauseMidBody(milliseconds: 300))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let error = await expectTransportError(.timeout) {
            try await transport.send(HTTPRequest(url: server.url("/stalled"),
                                                 timeouts: HTTPTimeouts(connect: 2, total: 60, firstByte: 0, idle: 0.4)))
        }
        #expect(error?.message.contains("stalled") == true)
        // The server saw the hang-up during its 300 s pause in the middle of the body.
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 1 }, "hangups: \(server.hangupsDuringDelay)")
        // A pause shorter than the idle limit is fine; the first-byte limit no longer applies once bytes flow.
        let response = try await transport.send(HTTPRequest(url: server.url("/paused"),
                                                            timeouts: HTTPTimeouts(connect: 2, total: 30, firstByte: 0.2, idle: 1)))
        #expect(response.body.count == 200)
    }

    @Test func declaredOversizeBodyFailsWithResponseTooLarge() async throws {
        let server = try LoopbackServer()
        server.route("/huge", .huge(bytes: 1 << 20, declareLength: true))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let error = await expectTransportError(.responseTooLarge) {
            try await transport.send(HTTPRequest(url: server.url("/huge"), maxResponseBytes: 64 << 10))
        }
        #expect(error?.code == 23)  // CURLE_WRITE_ERROR
    }

    @Test func undeclaredOversizeBodyFailsWithResponseTooLarge() async throws {
        let server = try LoopbackServer()
        server.route("/stream", .huge(bytes: 1 << 20, declareLength: false))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        await expectTransportError(.responseTooLarge) {
            try await transport.send(HTTPRequest(url: server.url("/stream"), maxResponseBytes: 64 << 10))
        }
    }

    @Test func bodyExactlyAtCapSucceeds() async throws {
        let server = try LoopbackServer()
        server.route("/fits", .huge(bytes: 64 << 10, declareLength: false))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let response = try await transport.send(HTTPRequest(url: server.url("/fits"), maxResponseBytes: 64 << 10))
        #expect(response.body.count == 64 << 10)
    }

    @Test func closeMidBodyFailsWithConnectionLost() async throws {
        let server = try LoopbackServer()
        server.route("/cut", .closeMidBody)
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let error = await expectTransportError(.connectionLost) {
            try await transport.send(HTTPRequest(url: server.url("/cut")))
        }
        #expect(error?.code == 18)  // CURLE_PARTIAL_FILE
    }

    @Test func cancellingTheTaskThrowsPromptlyAndDropsTheConnection() async throws {
        let server = try LoopbackServer()
        server.route("/slow", .delay(milliseconds: 300_000, body: "late"))
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let task = Task { try await transport.send(HTTPRequest(url: server.url("/slow"))) }
        // Arrival is a precondition, not what is timed: the sending task may wait for a cooperative thread while other
        // suites run.
        #expect(await eventually(within: 90) { server.requestCount == 1 }, "arrived: \(server.requestCount)")
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        // The event thread removed the easy handle, which closes the half-done connection — promptly, as the server's
        // own thread saw it (independent of when the awaiting task was resumed).
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 1 }, "hangups: \(server.hangupsDuringDelay)")
        let hungUpAt = try #require(server.lastHangupAt)
        // Well before the server's 300 s delay ends; generous, as a loaded 2-core machine can starve the event thread.
        #expect(hungUpAt - cancelledAt < .seconds(20))
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await transport.send(HTTPRequest(url: server.url("/echo")))
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(server.requestCount == 0)
    }

    @Test func shutdownFailsInFlightAndLaterRequestsWithCancelled() async throws {
        let server = try LoopbackServer()
        server.route("/slow", .delay(milliseconds: 300_000, body: "late"))
        let transport = try CurlTransport()
        let tasks = (0..<3).map { _ in
            Task { try await transport.send(HTTPRequest(url: server.url("/slow"))) }
        }
        // Arrival is a precondition, not what is timed: the sending tasks may wait for a cooperative thread while
        // other suites run.
        // (On a 2-core machine loaded to 20 by parallel builds, 30 s was once not enough.)
        #expect(await eventually(within: 90) { server.requestCount == 3 }, "arrived: \(server.requestCount)")
        let started = ContinuousClock.now
        transport.shutdown()
        for task in tasks {
            await expectTransportError(.cancelled) { try await task.value }
        }
        await expectTransportError(.cancelled) {
            try await transport.send(HTTPRequest(url: server.url("/echo")))
        }
        transport.shutdown()  // idempotent
        // The shutdown dropped all three connections promptly, as the server's own thread saw it.
        #expect(await eventually(within: 90) { server.hangupsDuringDelay == 3 }, "hangups: \(server.hangupsDuringDelay)")
        let lastHangup = try #require(server.lastHangupAt)
        // Well before the server's 300 s delay ends; generous, as a loaded 2-core machine can starve the event thread.
        #expect(lastHangup - started < .seconds(20))
    }

    @Test func malformedHeaderIsRejectedBeforeSending() async throws {
        let server = try LoopbackServer()
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let request = HTTPRequest(url: server.url("/echo"), headers: [HTTPHeader("X-Bad", "a\r\nInjected: 1")])
        await expectTransportError(.other) { try await transport.send(request) }
        #expect(server.requestCount == 0)
    }

    @Test(arguments: [
        ("https://user:pw@api.example.com/v1/x?key=k#f", "https://api.example.com/v1/x"),
        ("http://127.0.0.1:8000/v1/chat/completions", "http://127.0.0.1:8000/v1/chat/completions"),
        ("http://host?token=t", "http://host"),
        ("http://a@b.c:1", "http://b.c:1"),
    ])
    func redactedURLDropsCredentials(input: String, expected: String) {
        #expect(CurlErrorMapping.redactedURL(input) == expected)
    }
}
