import HarvestCore
import HarvestJSON

/// Builds OpenAI-compatible request bodies and headers.
///
/// Chat (`/chat/completions`) body, members in this order, absent values omitted:
/// `model, messages, max_tokens, temperature, top_p, seed, stop, n (1), logprobs (true),
/// top_logprobs (k), stream (false)`. Legacy completions (`/completions`) send `prompt` instead of
/// `messages` and `logprobs: k` instead of `logprobs`/`top_logprobs`. Logprob members are sent only
/// when ``SamplingParams/topLogprobs`` is set, followed, when ``SamplingParams/tokenIds`` is, by the server's way of
/// asking for ids (``TeacherServer``): `return_tokens_as_token_ids: true` (vLLM) or `return_token_ids: true` (SGLang);
/// `seed` is ``SamplingParams/seed(forSample:)``. What the server cannot do (``TeacherServer/unsupported(_:)``) fails
/// the request before it is sent.
///
/// ``SamplingParams/extraBody`` members are merged at the top level: a member named like a
/// standard one replaces it in place, the others follow in the order given (a repeated name
/// keeps its last value). `stream` cannot be turned on: harvest decodes whole responses. The members harvest
/// owns (``SamplingParams/ownedBodyKeys``: `model`, `messages`, `prompt`, `n`, `logprobs`, …) cannot be set.
/// Setting one fails the request before it is sent.
///
/// Scoring (``SamplingParams/score``) sends `max_tokens: 1` and, instead of the logprob members: `logprobs: k,
/// echo: true` (``ScoreForm/echo``, completions only) or `prompt_logprobs: k` (``ScoreForm/promptLogprobs``; chat adds
/// `add_generation_prompt: false`). The conversation must end with the assistant turn to score; a completions endpoint
/// gets ``scoringPrompt(_:)``.
public enum RequestEncoder {
    /// The request body for `job` (its messages, teacher, parameters and sample index).
    public static func body(for job: Job, server: TeacherServer = .vllm) throws(WireError) -> [UInt8] {
        try body(messages: job.messages, teacher: job.teacher, params: job.params, sampleIndex: job.sampleIndex, server: server)
    }

    /// The request body for one sample of a conversation. Throws ``WireError/unsupported(reason:)``
    /// when the conversation cannot be sent to a completions endpoint (see ``completionsPrompt(_:)``)
    /// or when `extraBody` asks for streaming.
    public static func body(messages: [ChatMessage], teacher: TeacherEndpoint, params: SamplingParams,
                            sampleIndex: Int, server: TeacherServer = .vllm) throws(WireError) -> [UInt8] {
        if let unsupported = server.unsupported(params) { throw .unsupported(reason: unsupported.message) }
        var extras: [(String, JSONValue)] = []
        for (name, value) in params.extraBody {
            if let i = extras.firstIndex(where: { $0.0 == name }) { extras[i].1 = value } else { extras.append((name, value)) }
        }
        if let owned = params.ownedExtraKeys.first {
            throw .unsupported(reason: "extra body sets \"\(owned)\", which harvest sets itself (not allowed: \(SamplingParams.ownedBodyKeys.joined(separator: ", ")))")
        }
        if let stream = extras.first(where: { $0.0 == "stream" })?.1, stream != .bool(false) {
            throw .unsupported(reason: "extra body sets \"stream\": \(stream.jsonString); harvest needs whole (non-streamed) responses")
        }
        if params.score == .echo, teacher.kind != .completions {
            throw .unsupported(reason: "scoring with echo needs the completions endpoint (--endpoint completions); a chat endpoint has no echo — use prompt_logprobs (vLLM)")
        }
        let prompt: String?
        if teacher.kind == .completions {
            prompt = params.score == nil ? try completionsPrompt(messages) : try scoringPrompt(messages)
        } else {
            if params.score != nil { _ = try scoredAnswer(messages) }
            prompt = nil
        }

        var w = JSONWriter(capacity: 512 + messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        var used = Set<String>()
        /// Writes a standard member unless an extra member of the same name replaces it.
        func member(_ name: String, _ write: (inout JSONWriter) -> Void) {
            w.key(name)
            if let extra = extras.first(where: { $0.0 == name }) {
                w.value(extra.1)
                used.insert(name)
            } else {
                write(&w)
            }
        }

        w.beginObject()
        member("model") { $0.string(teacher.model) }
        if let prompt {
            member("prompt") { $0.string(prompt) }
        } else {
            member("messages") { ChatMessage.write(messages, to: &$0) }
        }
        if params.score != nil {
            member("max_tokens") { $0.int(1) }
        } else if let v = params.maxTokens {
            member("max_tokens") { $0.int(v) }
        }
        if let v = params.temperature { member("temperature") { $0.double(v) } }
        if let v = params.topP { member("top_p") { $0.double(v) } }
        if let v = params.seed(forSample: sampleIndex) { member("seed") { $0.int(v) } }
        if !params.stop.isEmpty {
            member("stop") { w in
                w.beginArray()
                for s in params.stop { w.string(s) }
                w.endArray()
            }
        }
        member("n") { $0.int(1) }
        if let score = params.score {
            let k = params.topLogprobs ?? 0
            switch score {
            case .echo:
                member("logprobs") { $0.int(k) }
                member("echo") { $0.bool(true) }
            case .promptLogprobs:
                member("prompt_logprobs") { $0.int(k) }
                if teacher.kind == .chat { member("add_generation_prompt") { $0.bool(false) } }
            }
            if params.tokenIds { tokenIdsMember(server, member) }
        } else if let k = params.topLogprobs {
            switch teacher.kind {
            case .chat:
                member("logprobs") { $0.bool(true) }
                member("top_logprobs") { $0.int(k) }
            case .completions:
                member("logprobs") { $0.int(k) }
            }
            if params.tokenIds { tokenIdsMember(server, member) }
        }
        member("stream") { $0.bool(false) }
        for (name, value) in extras where !used.contains(name) {
            w.key(name)
            w.value(value)
        }
        w.endObject()
        return w.bytes
    }

    /// The member asking `server` for token ids: vLLM `return_tokens_as_token_ids`, SGLang `return_token_ids`.
    private static func tokenIdsMember(_ server: TeacherServer, _ member: (String, (inout JSONWriter) -> Void) -> Void) {
        switch server {
        case .vllm: member("return_tokens_as_token_ids") { $0.bool(true) }
        case .sglang: member("return_token_ids") { $0.bool(true) }
        case .openai: break // refused before (TeacherServer.unsupported)
        }
    }

    /// The `prompt` sent to a completions endpoint: the user message's content, preceded by the
    /// system message's content and a blank line (`"\n\n"`) when there is one. Only a single user
    /// message, optionally after a single system message, can be expressed this way; any other
    /// conversation (several turns, assistant messages) throws ``WireError/unsupported(reason:)``.
    public static func completionsPrompt(_ messages: [ChatMessage]) throws(WireError) -> String {
        switch messages.count {
        case 1 where messages[0].role == "user":
            return messages[0].content
        case 2 where messages[0].role == "system" && messages[1].role == "user":
            return messages[0].content + "\n\n" + messages[1].content
        default:
            let roles = messages.map(\.role).joined(separator: ", ")
            throw .unsupported(reason: "a completions endpoint takes one user message, optionally after one system message; "
                + "this conversation has \(messages.count) message(s) (\(roles.isEmpty ? "none" : roles)); use a chat endpoint")
        }
    }

    /// The sequence a completions endpoint scores (``ScoreForm``): the completions prompt of every message but the
    /// last (``completionsPrompt(_:)``), followed directly by the last message's content, which must be the
    /// assistant's answer — the same text a completions sweep sent and received.
    public static func scoringPrompt(_ messages: [ChatMessage]) throws(WireError) -> String {
        let answer = try scoredAnswer(messages)
        return try completionsPrompt(Array(messages.dropLast())) + answer
    }

    /// The assistant answer a scored conversation ends with; throws when the last message is not the assistant's.
    static func scoredAnswer(_ messages: [ChatMessage]) throws(WireError) -> String {
        guard let last = messages.last, last.role == "assistant" else {
            throw .unsupported(reason: "scoring needs a conversation that ends with the assistant turn to score; this one ends with "
                + (messages.last.map { "a \"\($0.role)\" message" } ?? "nothing") + " (build one with harvest score SET --into NAME, or import an SFT file with --sft)")
        }
        return last.content
    }

    /// Request headers: `Content-Type` and `Accept` JSON, and `Authorization: Bearer <key>` when
    /// `apiKey` is given and not empty.
    public static func headers(apiKey: String?) -> [HTTPHeader] {
        var h = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")]
        if let apiKey, !apiKey.isEmpty { h.append(HTTPHeader("Authorization", "Bearer \(apiKey)")) }
        return h
    }
}
