import HarvestCore
import HarvestKit
import Testing

/// A transport that answers every request with one canned response.
struct CannedTransport: HTTPTransport {
    var response: HTTPResponse
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { response }
}

/// Every hostile 2xx body is an attempt error (never a crash); a usable answer is never rejected for its headers.
@Suite struct HostileBodyTests {
    let job = Job(id: 1, key: [], promptId: 1, messages: [ChatMessage(role: "user", content: "hi")],
                  teacher: TeacherEndpoint(baseURL: "http://t/v1", model: "m"), params: SamplingParams(maxTokens: 4), sampleIndex: 0)
    static let valid = Array(#"{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}"#.utf8)

    func call(_ body: [UInt8], status: Int = 200, contentType: String? = "application/json",
              extra: [HTTPHeader] = []) async -> TeacherCallResult {
        var headers = extra
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        let client = TeacherClient(transport: CannedTransport(response: HTTPResponse(status: status, headers: headers, body: body)), apiKey: nil)
        return await client.call(job)
    }

    func malformedDetail(_ r: TeacherCallResult) -> String? {
        if case .failure(.malformedBody(let detail)) = r.outcome { return detail }
        return nil
    }

    @Test func validAnswerWithWrongContentTypeIsKept() async {
        let r = await call(Self.valid, contentType: "text/plain; charset=utf-8")
        guard case .success(let answer) = r.outcome else { Issue.record("expected success, got \(r.outcome)"); return }
        #expect(answer.response.choices[0].content == "hello")
    }

    @Test func invalidUTF8IsMalformed() async throws {
        var body = Self.valid
        body[8] = 0xFF
        let detail = try #require(malformedDetail(await call(body)))
        #expect(detail.contains("not valid UTF-8 (byte 8)"))
        #expect(RetryPolicy.isRetryable(.malformedBody))
    }

    @Test func htmlPageNamesItsContentType() async throws {
        let detail = try #require(malformedDetail(await call(Array("<html><body>502</body></html>".utf8), contentType: "text/html")))
        #expect(detail.contains("HTML"))
        #expect(detail.contains("content-type text/html"))
    }

    @Test func truncatedJSONEmptyChoicesAndErrorObjectsAreMalformed() async throws {
        _ = try #require(malformedDetail(await call(Array(Self.valid.prefix(40)))))
        let empty = try #require(malformedDetail(await call(Array(#"{"id":"x","choices":[]}"#.utf8))))
        #expect(empty.contains("no choices"))
        let error = try #require(malformedDetail(await call(Array(#"{"error":{"message":"overloaded","type":"server_error"}}"#.utf8))))
        #expect(error.contains("overloaded"))
        _ = try #require(malformedDetail(await call([], contentType: nil)))
    }

    @Test func rateLimitHeadersAndRetryAfterAreReported() async throws {
        let r = await call(Array(#"{"error":{"message":"slow down"}}"#.utf8), status: 429,
                           extra: [HTTPHeader("Retry-After", "3"), HTTPHeader("x-ratelimit-remaining-requests", "0"),
                                   HTTPHeader("x-ratelimit-reset-requests", "2s")])
        #expect(r.retryAfter == 3)
        #expect(r.rateLimit?.exhaustedFor == 2)
        guard case .failure(.http(429, let message)) = r.outcome else { Issue.record("expected a 429"); return }
        #expect(message == "slow down")
    }

    @Test func utf8ValidatorFollowsRFC3629() {
        func ok(_ bytes: [UInt8]) -> Bool { UTF8Validation.firstInvalidOffset(bytes) == nil }
        #expect(ok(Array("plain ascii, longer than eight bytes".utf8)))
        #expect(ok(Array("é ü 中文 😀 mixed with ascii text".utf8)))
        #expect(!ok([0xC0, 0xAF]), "overlong")
        #expect(!ok([0xED, 0xA0, 0x80]), "surrogate")
        #expect(!ok([0xF4, 0x90, 0x80, 0x80]), "above U+10FFFF")
        #expect(!ok(Array("abc".utf8) + [0xE2, 0x82]), "cut sequence")
        #expect(UTF8Validation.firstInvalidOffset(Array("0123456789".utf8) + [0x80]) == 10)
    }
}
