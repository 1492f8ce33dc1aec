import Foundation
import HarvestCore
import OpenAIWire

/// Sends jobs to an OpenAI-compatible teacher over an ``HTTPTransport`` and decodes the answers.
public struct TeacherClient: TeacherCalling {
    /// The HTTP seam (libcurl in production).
    public let transport: any HTTPTransport
    /// Bearer key, read from the environment by the caller. Never logged or stored.
    private let apiKey: String?
    /// Connect/total/low-speed limits per request.
    public var timeouts: HTTPTimeouts
    /// Response size cap in bytes.
    public var maxResponseBytes: Int
    /// Keep the raw body for the store.
    public var keepRaw: Bool
    /// Transcode logprobs straight into the stored `HLP1` blob (``CompletionChoice/encodedLogprobs``) instead of
    /// decoding them into values (the default: the store needs only the blob, and it is several times cheaper).
    public var encodeLogprobs = true
    /// The teacher's server software: how token ids are asked for (``RequestEncoder``), what it cannot do.
    public var server: TeacherServer = .vllm

    /// Creates a client.
    public init(transport: any HTTPTransport, apiKey: String?, timeouts: HTTPTimeouts = HTTPTimeouts(),
                maxResponseBytes: Int = 64 << 20, keepRaw: Bool = false) {
        self.transport = transport
        self.apiKey = apiKey
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
        self.keepRaw = keepRaw
    }

    /// Sends the job once, to `job.teacher.requestURL`.
    ///
    /// Rules for what comes back (each failure is an attempt error; ``RetryPolicy`` decides retry or fail):
    /// - non-2xx: ``TeacherError/http(status:message:)`` with the server's own message;
    /// - no complete response (connect, first-byte/idle/total timeout, reset, truncated body, size cap):
    ///   ``TeacherError/transport(_:)``;
    /// - a 2xx body that is not valid UTF-8, not JSON (an HTML page), truncated JSON, an error object or
    ///   `choices: []`: ``TeacherError/malformedBody(detail:)``, naming the content type when it is not JSON;
    /// - a 2xx completion whose values break the rules (non-finite or positive logprob, `content` of the wrong
    ///   type): ``TeacherError/invalidAnswer(detail:)`` (retried once, then the job fails);
    /// - the `Content-Type` alone never rejects an answer: a valid completion sent as `text/plain` is kept.
    public func call(_ job: Job) async -> TeacherCallResult {
        let startedAt = Date().timeIntervalSince1970
        let clock = MonotonicTrafficClock()
        let body: [UInt8]
        do {
            body = try RequestEncoder.body(for: job, server: server)
        } catch {
            return TeacherCallResult(startedAt: startedAt, latencyMs: 0, httpStatus: nil, retryAfter: nil,
                                     outcome: .failure(.invalidRequest(String(describing: error))))
        }
        let request = HTTPRequest(url: job.teacher.requestURL, method: "POST", headers: RequestEncoder.headers(apiKey: apiKey),
                                  body: body, timeouts: timeouts, maxResponseBytes: maxResponseBytes)
        let sentAt = clock.now()
        func result(_ status: Int?, _ outcome: Result<TeacherAnswer, TeacherError>, rateLimit: RateLimitInfo? = nil,
                    receivedAt: Double) -> TeacherCallResult {
            var r = TeacherCallResult(startedAt: startedAt, latencyMs: (receivedAt - sentAt) * 1000, httpStatus: status,
                                      retryAfter: rateLimit?.retryAfter, outcome: outcome, rateLimit: rateLimit)
            r.sentAt = sentAt
            r.receivedAt = receivedAt
            return r
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            return result(nil, .failure(.transport(error)), receivedAt: clock.now())
        } catch {
            let e = TransportError(kind: .cancelled, message: String(describing: error), url: request.url)
            return result(nil, .failure(.transport(e)), receivedAt: clock.now())
        }
        let receivedAt = clock.now()
        var contentType: String?
        var rateLimit: RateLimitInfo?
        var hasRateLimitHeaders = false
        for header in response.headers {
            let name = header.name.lowercased()
            if name == "content-type" {
                contentType = header.value
            } else if name == "retry-after" || name.hasPrefix("x-ratelimit-") {
                hasRateLimitHeaders = true
            }
        }
        if hasRateLimitHeaders { rateLimit = RateLimitInfo.parse(response.headers, now: startedAt + (receivedAt - sentAt)) }
        guard (200..<300).contains(response.status) else {
            return result(response.status, .failure(.http(status: response.status, message: Self.errorMessage(response.body))),
                          rateLimit: rateLimit, receivedAt: receivedAt)
        }
        if let offset = UTF8Validation.firstInvalidOffset(response.body) {
            let detail = "body is not valid UTF-8 (byte \(offset))\(Self.typeNote(contentType)); body starts: \(BodyPreview.text(response.body, limit: 80))"
            return result(response.status, .failure(.malformedBody(detail: detail)), rateLimit: rateLimit, receivedAt: receivedAt)
        }
        do {
            var decoded = try ResponseDecoder.decode(response.body, kind: job.teacher.kind, encodeLogprobs: encodeLogprobs)
            guard !decoded.choices.isEmpty else { throw TeacherError.malformedBody(detail: "no choices") }
            if let form = job.params.score {
                let prompt = job.teacher.kind == .completions ? (try? RequestEncoder.scoringPrompt(job.messages))?.unicodeScalars.count : nil
                try Self.keepScoredPositions(&decoded, body: response.body, form: form, promptCharacters: prompt, encode: encodeLogprobs)
            }
            return result(response.status, .success(TeacherAnswer(response: decoded, rawBody: keepRaw ? response.body : nil)),
                          rateLimit: rateLimit, receivedAt: receivedAt)
        } catch let error as TeacherError {
            return result(response.status, .failure(error), rateLimit: rateLimit, receivedAt: receivedAt)
        } catch let error as WireError {
            if case .invalidValue = error {
                return result(response.status, .failure(.invalidAnswer(detail: error.description)), rateLimit: rateLimit, receivedAt: receivedAt)
            }
            let detail = String(describing: error) + Self.typeNote(contentType)
            return result(response.status, .failure(.malformedBody(detail: detail)), rateLimit: rateLimit, receivedAt: receivedAt)
        } catch {
            let detail = String(describing: error) + Self.typeNote(contentType)
            return result(response.status, .failure(.malformedBody(detail: detail)), rateLimit: rateLimit, receivedAt: receivedAt)
        }
    }

    /// A scoring answer keeps one choice: its logprobs become the scored sequence's positions
    /// (``ScoredSequenceDecoder``), its content is emptied (the echoed prompt or the one generated token is not an
    /// answer). No positions: the choice has no logprobs (stored, counted as missing logprobs).
    static func keepScoredPositions(_ response: inout TeacherResponse, body: [UInt8], form: ScoreForm, promptCharacters: Int?,
                                    encode: Bool) throws(WireError) {
        let positions = try ScoredSequenceDecoder.positions(body: body, response: response, form: form, promptCharacters: promptCharacters)
        var choice = response.choices[0]
        choice.content = ""
        choice.reasoning = nil
        choice.logprobs = encode ? nil : positions
        choice.encodedLogprobs = encode ? positions.map(LogprobCodec.encode) : nil
        choice.encodedLogprobCount = encode ? positions?.count ?? 0 : 0
        response.choices = [choice]
    }

    /// ` (content-type text/html)` when the type is not JSON, else empty.
    static func typeNote(_ contentType: String?) -> String {
        guard let contentType else { return " (no content-type)" }
        return contentType.lowercased().contains("json") ? "" : " (content-type \(contentType))"
    }

    /// The server's error message from an OpenAI-style error body, else the body's first bytes as text.
    public static func errorMessage(_ body: [UInt8]) -> String {
        do {
            _ = try ResponseDecoder.decode(body, kind: .chat)
        } catch {
            if case .serverError(let message, _) = error { return message }
        }
        return BodyPreview.text(body)
    }
}

/// Printable previews of response bodies for logs and attempt records.
public enum BodyPreview {
    /// Up to `limit` bytes as one line of text (control characters replaced), or `(empty body)`.
    public static func text(_ body: [UInt8], limit: Int = 200) -> String {
        if body.isEmpty { return "(empty body)" }
        let prefix = body.prefix(limit).map { $0 < 0x20 ? UInt8(ascii: " ") : $0 }
        var s = String(decoding: prefix, as: UTF8.self)
        if body.count > limit { s += "…" }
        return s
    }
}
