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

    /// Creates a client.
    public init(transport: any HTTPTransport, apiKey: String?, timeouts: HTTPTimeouts = HTTPTimeouts(),
                maxResponseBytes: Int = 64 << 20, keepRaw: Bool = false) {
        self.transport = transport
        self.apiKey = apiKey
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
        self.keepRaw = keepRaw
    }

    /// Sends the job once.
    public func call(_ job: Job) async -> TeacherCallResult {
        let startedAt = Date().timeIntervalSince1970
        let clock = ContinuousClock.now
        func elapsedMs() -> Double {
            let d = ContinuousClock.now - clock
            return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        let body: [UInt8]
        do {
            body = try RequestEncoder.body(for: job)
        } catch {
            return TeacherCallResult(startedAt: startedAt, latencyMs: 0, httpStatus: nil, retryAfter: nil,
                                     outcome: .failure(.invalidRequest(String(describing: error))))
        }
        let request = HTTPRequest(url: job.teacher.requestURL, method: "POST", headers: RequestEncoder.headers(apiKey: apiKey),
                                  body: body, timeouts: timeouts, maxResponseBytes: maxResponseBytes)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            return TeacherCallResult(startedAt: startedAt, latencyMs: elapsedMs(), httpStatus: nil, retryAfter: nil,
                                     outcome: .failure(.transport(error)))
        } catch {
            let e = TransportError(kind: .cancelled, message: String(describing: error), url: request.url)
            return TeacherCallResult(startedAt: startedAt, latencyMs: elapsedMs(), httpStatus: nil, retryAfter: nil,
                                     outcome: .failure(.transport(e)))
        }
        let latency = elapsedMs()
        let retryAfter = response.header("retry-after").flatMap { RetryPolicy.parseRetryAfter($0, now: Date().timeIntervalSince1970) }
        guard (200..<300).contains(response.status) else {
            return TeacherCallResult(startedAt: startedAt, latencyMs: latency, httpStatus: response.status, retryAfter: retryAfter,
                                     outcome: .failure(.http(status: response.status, message: Self.errorMessage(response.body))))
        }
        do {
            let decoded = try ResponseDecoder.decode(response.body, kind: job.teacher.kind)
            guard !decoded.choices.isEmpty else { throw TeacherError.malformedBody(detail: "no choices") }
            return TeacherCallResult(startedAt: startedAt, latencyMs: latency, httpStatus: response.status, retryAfter: nil,
                                     outcome: .success(TeacherAnswer(response: decoded, rawBody: keepRaw ? response.body : nil)))
        } catch let error as TeacherError {
            return TeacherCallResult(startedAt: startedAt, latencyMs: latency, httpStatus: response.status, retryAfter: nil, outcome: .failure(error))
        } catch {
            return TeacherCallResult(startedAt: startedAt, latencyMs: latency, httpStatus: response.status, retryAfter: nil,
                                     outcome: .failure(.malformedBody(detail: String(describing: error))))
        }
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
