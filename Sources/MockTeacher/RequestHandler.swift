import HarvestJSON
import LoopbackHTTP

/// Routes one request to its answer and decides injected faults. One per connection: it owns
/// the reusable response buffer and sampler scratch space.
final class RequestHandler {
    /// The body of the latest reply.
    var writer = JSONWriter(capacity: 64 * 1024)
    let state: ServerState
    private var sampler: AnswerSampler
    private var scratch: [UInt8] = []

    init(state: ServerState) {
        self.state = state
        sampler = AnswerSampler(vocabulary: state.vocabulary)
        scratch.reserveCapacity(4096)
    }

    /// Answers a request whose body is `body`.
    func handle(_ head: HTTPRequestHead, body: UnsafeBufferPointer<UInt8>) -> ConnectionAction {
        writer.reset()
        switch head.path {
        case "/v1/chat/completions":
            guard head.method == "POST" else { return methodNotAllowed(head) }
            return completion(body, endpoint: .chat)
        case "/v1/completions":
            guard head.method == "POST" else { return methodNotAllowed(head) }
            return completion(body, endpoint: .legacy)
        case "/v1/models":
            guard head.method == "GET" else { return methodNotAllowed(head) }
            writer.beginObject()
            writer.key("object"); writer.string("list")
            writer.key("data"); writer.beginArray()
            writer.beginObject()
            writer.key("id"); writer.string(state.configuration.model)
            writer.key("object"); writer.string("model")
            writer.key("owned_by"); writer.string("harvest")
            writer.endObject()
            writer.endArray()
            writer.endObject()
            return reply(HTTPReply(status: 200))
        case "/healthz", "/health":
            guard head.method == "GET" else { return methodNotAllowed(head) }
            writer.beginObject()
            writer.key("status"); writer.string("ok")
            writer.endObject()
            return reply(HTTPReply(status: 200))
        case let path where path.hasPrefix("/v1/messages/batches"):
            return anthropicBatchAPI(head, body: Array(body))
        case let path where path.hasPrefix("/v1/files") || path.hasPrefix("/v1/batches"):
            return batchAPI(head, body: Array(body))
        default:
            return error(404, "Unknown path \(head.method) \(head.path).", type: "not_found_error")
        }
    }

    /// Writes an error body and returns its reply.
    func error(_ status: Int, _ message: String, type: String = "invalid_request_error",
               param: String? = nil, code: String? = nil, fault: MockFaultKind? = nil,
               retryAfter: String? = nil, trickle: (chunks: Int, seconds: Double)? = nil) -> ConnectionAction {
        writer.reset()
        ErrorBody.write(message: message, type: type, param: param, code: code, into: &writer)
        return reply(HTTPReply(status: status, retryAfter: retryAfter, trickle: trickle), fault: fault)
    }

    private func methodNotAllowed(_ head: HTTPRequestHead) -> ConnectionAction {
        error(405, "Method \(head.method) is not allowed on \(head.path).")
    }

    func reply(_ reply: HTTPReply, fault: MockFaultKind? = nil) -> ConnectionAction {
        state.recordResponse(status: reply.status, fault: fault, servedFingerprint: reply.servedFingerprint)
        return .reply(reply)
    }

    private func completion(_ body: UnsafeBufferPointer<UInt8>, endpoint: CompletionRequest.Endpoint) -> ConnectionAction {
        let configuration = state.configuration
        let faults = configuration.faults
        if configuration.latencyMs > 0 {
            SocketIO.interruptibleSleep(seconds: configuration.latencyMs / 1000, wakeFD: state.wakeFD)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            return self.error(400, "We could not parse the JSON body of your request: \(error).")
        }
        let request: CompletionRequest
        do {
            request = try CompletionRequest(json, endpoint: endpoint, shape: configuration.shape)
        } catch {
            return self.error(400, error.message, param: error.param)
        }
        if let rejected = faults.badRequestForModel, request.model == rejected {
            return self.error(400, "The model `\(rejected)` does not exist or you do not have access to it.",
                              param: "model", code: "model_not_found", fault: .badRequestForModel)
        }
        if let exhausted = faults.quotaExhaustedForModel, request.model == exhausted {
            return self.error(429, "You exceeded your current quota, please check your plan and billing details.",
                              type: "insufficient_quota", code: "insufficient_quota")
        }
        let digest = RequestFingerprint.digest(of: json)
        let fingerprint = RequestFingerprint.hex(digest)
        let seed = RequestFingerprint.seed(of: digest)
        let attempt = state.nextAttempt(of: fingerprint)
        var faultRNG = SplitMix64(seed: faults.seed ^ seed ^ SplitMix64.mix(UInt64(attempt) &+ 0x4641_554C_54))
        let fault = faults.pick(Double(faultRNG.next() >> 11) * 0x1p-53)
        let slow = faults.slowBodyFires(Double(faultRNG.next() >> 11) * 0x1p-53)
        let trickle: (chunks: Int, seconds: Double)? = slow ? (faults.slowBodyChunks, faults.slowBodySeconds) : nil
        if slow { state.recordResponse(status: nil, fault: .slowBody) }
        switch fault {
        case .rateLimited:
            return self.error(429, "Rate limit reached for the mock teacher. Please retry.",
                              type: "rate_limit_error", code: "rate_limit_exceeded", fault: .rateLimited,
                              retryAfter: Self.formatSeconds(faults.retryAfterSeconds), trickle: trickle)
        case .serverError:
            return self.error(500, "The mock teacher had an injected internal error.", type: "server_error", fault: .serverError,
                              trickle: trickle)
        case .reset:
            state.recordResponse(status: nil, fault: .reset)
            return .reset
        case .stall:
            state.recordResponse(status: nil, fault: .stall)
            return .stall(seconds: faults.stallSeconds)
        case .html:
            writer.reset()
            writer.bytes.append(contentsOf: Self.htmlPage)
            return reply(HTTPReply(status: 200, contentType: "text/html; charset=utf-8", trickle: trickle), fault: .html)
        case .emptyChoices:
            writer.reset()
            writer.beginObject()
            writer.key("id"); writer.string("chatcmpl-empty")
            writer.key("object"); writer.string(endpoint == .chat ? "chat.completion" : "text_completion")
            writer.key("model"); writer.string(request.model ?? configuration.model)
            writer.key("choices"); writer.beginArray(); writer.endArray()
            writer.endObject()
            return reply(HTTPReply(status: 200, trickle: trickle), fault: .emptyChoices)
        case .truncated, .badRequestForModel, .invalidUTF8, .wrongContentType, .missingLogprobs, .slowBody, nil:
            break
        }
        let context = AnswerContext(fingerprint: fingerprint, seed: seed ^ configuration.vocabularySeed,
                                    model: request.model ?? configuration.model,
                                    earlyStopRate: configuration.earlyStopRate)
        var answered = request
        if fault == .missingLogprobs {
            answered.logprobs = false
            answered.promptLogprobs = nil
        }
        if request.isScoring {
            ScoreResponder.write(answered, context: context, sampler: &sampler, into: &writer)
        } else {
            switch endpoint {
            case .chat: ChatResponder.write(answered, context: context, sampler: &sampler, scratch: &scratch, into: &writer)
            case .legacy: CompletionsResponder.write(answered, context: context, sampler: &sampler, scratch: &scratch, into: &writer)
            }
        }
        switch fault {
        case .truncated:
            return reply(HTTPReply(status: 200, delivery: .truncated, closeConnection: true, trickle: trickle), fault: .truncated)
        case .invalidUTF8:
            // `{"id":"chatcmpl-…` / `{"id":"cmpl-…`: the first two bytes of the id's value become invalid UTF-8.
            writer.bytes[7] = 0xFF
            writer.bytes[8] = 0xFE
            return reply(HTTPReply(status: 200, trickle: trickle), fault: .invalidUTF8)
        case .wrongContentType:
            return reply(HTTPReply(status: 200, contentType: "text/plain; charset=utf-8", servedFingerprint: fingerprint,
                                   trickle: trickle), fault: .wrongContentType)
        case .missingLogprobs:
            return reply(HTTPReply(status: 200, servedFingerprint: fingerprint, trickle: trickle), fault: .missingLogprobs)
        default:
            return reply(HTTPReply(status: 200, rateLimitReset: faults.rateLimitResetSeconds.map { Self.formatSeconds($0) + "s" },
                                   servedFingerprint: fingerprint, trickle: trickle))
        }
    }

    /// The body of the `html` fault.
    static let htmlPage = Array("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>mock teacher: injected HTML answer</p></body></html>\n".utf8)

    /// `1`, `0`, `0.25`: whole numbers without a fraction.
    static func formatSeconds(_ seconds: Double) -> String {
        let clamped = max(0, seconds)
        if clamped == clamped.rounded(), clamped < 1e15 { return String(Int(clamped)) }
        return String(clamped)
    }
}
