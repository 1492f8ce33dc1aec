import HarvestCore
import HarvestJSON

/// Decodes OpenAI-compatible (non-streaming) completion responses into ``TeacherResponse``,
/// pulling fields straight from the body bytes: no intermediate tree, unknown members skipped
/// unbuilt, numbers correctly rounded (bit-exact with `Double(String)` for the same text).
///
/// Accepted shapes, at every level leniently:
/// - chat: `choices[].message.{content, reasoning_content | reasoning}` and
///   `choices[].logprobs.content[]` entries `{token, logprob, bytes, top_logprobs[], id}`;
/// - legacy completions: `choices[].text` and
///   `choices[].logprobs.{tokens, token_logprobs, top_logprobs: [{token: logprob} | null]}`.
///
/// Values are stored exactly as sent. Conventions:
/// - a `null` logprob (legacy completions give one for the first echoed prompt token) becomes
///   `Double.nan` (the canonical quiet NaN, bit pattern `0x7FF8000000000000`); `JSONWriter` writes it
///   back as `null`. vLLM's `-9999.0` (minus infinity) is kept as sent; the tokens `NaN`, `Infinity`
///   and `-Infinity` are not valid JSON and make the answer an invalid value (below).
/// - token ids: a token written `token_id:N` (vLLM `return_tokens_as_token_ids`) gets
///   `tokenId = N` and keeps its text as sent; an integer `id` member (llama.cpp) gives the id;
///   a choice-level `token_ids` array (vLLM `return_token_ids`) whose length equals the number
///   of logprob entries fills the ids of the sampled tokens that have none yet. `prompt_token_ids`
///   describes the prompt and is ignored.
/// - `bytes`: `null` or absent gives nil; an array is kept as sent (even if it differs from the
///   token text). llama.cpp's empty token strings, `k+1` or fewer than `k` alternatives and a
///   single choice regardless of `n` are kept as sent.
/// - message `content: null` gives `""`; a content array of parts is joined from their `text`; a `content`
///   (or completions `text`) of any other type is an invalid value (``WireError/invalidValue(reason:offset:bodyPrefix:)``),
///   never stored as `""`.
/// - logprobs: `NaN`/`Infinity` tokens and positive values above 1e-6 are invalid values; positive values up to
///   1e-6 (float rounding of a probability of 1) are kept as sent (see `PullReader.double()`).
/// - usage: a negative or non-numeric count is unknown (nil), one above ``Usage/maxTokens`` is clamped; both are
///   noted in ``Usage/corrections``. Usage never makes an answer malformed.
///
/// Missing logprobs are not a decode error: see ``missingLogprobs(_:requested:)``.
public enum ResponseDecoder {
    /// Decodes a response body. `kind` says which endpoint produced it; a choice then must carry
    /// `message` (chat) or `text` (completions), either being accepted as a fallback for the other.
    ///
    /// Throws ``WireError/serverError(message:type:)`` for an error object,
    /// ``WireError/noChoices(bodyPrefix:)`` when there is nothing to decode, and
    /// ``WireError/malformed(reason:offset:bodyPrefix:)`` for anything that is not the expected JSON.
    public static func decode(_ body: [UInt8], kind: EndpointKind) throws(WireError) -> TeacherResponse {
        try decode(body, kind: kind, encodeLogprobs: false)
    }

    /// Decodes a response body. Each choice's logprobs are transcoded straight from the body into an `HLP1`
    /// blob (the one logprob decode path); with `encodeLogprobs` the blob is kept as
    /// ``CompletionChoice/encodedLogprobs`` (``CompletionChoice/logprobs`` left nil), without it the values are
    /// read back from the blob into ``CompletionChoice/logprobs``. Errors are the same either way.
    public static func decode(_ body: [UInt8], kind: EndpointKind, encodeLogprobs: Bool) throws(WireError) -> TeacherResponse {
        var response = try decode(body, kind: kind, valueDecoder: nil)
        if !encodeLogprobs {
            for i in response.choices.indices {
                guard let blob = response.choices[i].encodedLogprobs else { continue }
                response.choices[i].logprobs = try? LogprobCodec.decode(blob)
                response.choices[i].encodedLogprobs = nil
                response.choices[i].encodedLogprobCount = 0
            }
        }
        return response
    }

    /// Decodes a response body; a non-nil `valueDecoder` reads each `logprobs` object instead of the transcoder
    /// (the seam the tests' value-decoding oracle uses; production passes nil).
    static func decode(_ body: [UInt8], kind: EndpointKind, valueDecoder: PullReader.ValueDecoder?) throws(WireError) -> TeacherResponse {
        var invalidValue = false
        let outcome = body.withUnsafeBufferPointer { buf -> Result<TopLevel, JSONError> in
            var reader = PullReader(buf)
            reader.valueDecoder = valueDecoder
            do throws(JSONError) {
                return .success(try reader.topLevel(kind: kind))
            } catch {
                invalidValue = reader.invalidValue
                return .failure(error)
            }
        }
        let top: TopLevel
        switch outcome {
        case .success(let t): top = t
        case .failure(let e):
            if invalidValue { throw .invalidValue(reason: e.message, offset: e.offset, bodyPrefix: WireError.bodyPrefix(body)) }
            throw .malformed(reason: e.message, offset: e.offset, bodyPrefix: WireError.bodyPrefix(body))
        }
        if let failure = top.serverError { throw failure }
        guard let choices = top.response.choices.isEmpty ? nil : top.response.choices else {
            throw .noChoices(bodyPrefix: WireError.bodyPrefix(body))
        }
        var response = top.response
        response.choices = choices
        return response
    }

    /// Decodes a response body given as any byte collection.
    public static func decode(_ body: some Collection<UInt8>, kind: EndpointKind) throws(WireError) -> TeacherResponse {
        try decode(Array(body), kind: kind)
    }

    /// Indexes of the choices that lack token logprobs although `params` asked for them
    /// (`topLogprobs != nil`): no logprobs at all, or none for a non-empty answer. Empty when
    /// logprobs were not requested. The caller decides whether that is a failure.
    public static func missingLogprobs(_ response: TeacherResponse, requested params: SamplingParams) -> [Int] {
        guard params.topLogprobs != nil else { return [] }
        return response.choices.indices.filter { i in
            let c = response.choices[i]
            guard let lp = c.logprobs else { return true }
            return lp.isEmpty && !c.content.isEmpty
        }
    }
}

/// What the top level of a body held.
struct TopLevel {
    var response = TeacherResponse()
    var serverError: WireError?
}

extension PullReader {
    /// Reads the whole document.
    mutating func topLevel(kind: EndpointKind) throws(JSONError) -> TopLevel {
        if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { pos = 3 }
        guard let c = peek() else { throw error("empty body") }
        guard c == UInt8(ascii: "{") else {
            if c == UInt8(ascii: "<") { throw error("body is HTML, not JSON") }
            if startsWith("data:") { throw error("body is a server-sent event stream, not one JSON object (was streaming on?)") }
            throw error("body is not a JSON object")
        }
        pos += 1
        var top = TopLevel()
        var errorValue: JSONValue?
        var objectType: String?
        var message: String?
        var type: String?
        var detail: JSONValue?
        var first = true
        while try nextMember(&first) {
            if keyIs("choices") {
                top.response.choices = try choices(kind: kind)
            } else if keyIs("id") {
                top.response.id = try lenientString()
            } else if keyIs("model") {
                top.response.model = try lenientString()
            } else if keyIs("created") {
                top.response.created = try lenientInt()
            } else if keyIs("system_fingerprint") {
                top.response.systemFingerprint = try lenientString()
            } else if keyIs("usage") {
                top.response.usage = try usage()
            } else if keyIs("error") {
                errorValue = try value()
            } else if keyIs("object") {
                objectType = try lenientString()
            } else if keyIs("message") {
                message = try lenientString()
            } else if keyIs("type") {
                type = try lenientString()
            } else if keyIs("detail") {
                detail = try value()
            } else {
                try skipValue()
            }
        }
        skipWhitespace()
        guard pos == buf.count else { throw error("unexpected characters after the JSON object") }

        if let errorValue, !errorValue.isNull {
            top.serverError = Self.serverError(errorValue)
        } else if objectType == "error" {
            // Older vLLM: {"object":"error","message":...,"type":...,"code":...}
            top.serverError = .serverError(message: message ?? "(no message)", type: type)
        } else if top.response.choices.isEmpty, let detail, !detail.isNull {
            // FastAPI-style {"detail": ...} (404, 422 validation errors).
            top.serverError = .serverError(message: detail.stringValue ?? detail.jsonString, type: nil)
        }
        return top
    }

    private static func serverError(_ v: JSONValue) -> WireError {
        if let s = v.stringValue { return .serverError(message: s, type: nil) }
        let message = v["message"]?.stringValue ?? v.jsonString
        var type = v["type"]?.stringValue
        if type == nil, let code = v["code"], !code.isNull { type = code.stringValue ?? code.jsonString }
        return .serverError(message: message, type: type)
    }

    private mutating func choices(kind: EndpointKind) throws(JSONError) -> [CompletionChoice] {
        guard try openArray("choices") else { return [] }
        var out = [CompletionChoice]()
        var first = true
        while try nextElement(&first) {
            out.append(try choice(kind: kind, position: out.count))
        }
        return out
    }

    private mutating func choice(kind: EndpointKind, position: Int) throws(JSONError) -> CompletionChoice {
        let start = pos
        guard try openObject("choice") else { throw error("choice \(position) is null") }
        var choice = CompletionChoice(index: position, content: "")
        var sawMessage = false
        var text: String?
        var tokenIds: [Int]?
        var first = true
        while try nextMember(&first) {
            if keyIs("logprobs") {
                if let valueDecoder {
                    choice.logprobs = try valueDecoder(&self)
                } else {
                    let encoded = try encodedLogprobs()
                    choice.encodedLogprobs = encoded?.blob
                    choice.encodedLogprobCount = encoded?.count ?? 0
                }
            } else if keyIs("message") {
                sawMessage = try message(into: &choice)
            } else if keyIs("text") {
                text = try contentString("text")
            } else if keyIs("finish_reason") {
                choice.finishReason = try lenientString()
            } else if keyIs("index") {
                choice.index = try lenientInt() ?? position
            } else if keyIs("token_ids") {
                tokenIds = try intArray("token_ids")
            } else {
                try skipValue()
            }
        }
        switch kind {
        case .chat:
            if !sawMessage {
                guard let text else { throw JSONError("chat choice \(position) has no message", offset: start) }
                choice.content = text
            }
        case .completions:
            if let text {
                choice.content = text
            } else if !sawMessage {
                throw JSONError("completion choice \(position) has no text", offset: start)
            }
        }
        if let tokenIds, var lp = choice.logprobs, lp.count == tokenIds.count {
            for i in lp.indices where lp[i].tokenId == nil { lp[i].tokenId = tokenIds[i] }
            choice.logprobs = lp
        }
        if let tokenIds, let blob = choice.encodedLogprobs, choice.encodedLogprobCount == tokenIds.count,
           var lp = try? LogprobCodec.decode(blob) {
            for i in lp.indices where lp[i].tokenId == nil { lp[i].tokenId = tokenIds[i] }
            choice.encodedLogprobs = LogprobCodec.encode(lp)
        }
        return choice
    }

    /// Reads `message` into `choice`; returns false when it was null.
    private mutating func message(into choice: inout CompletionChoice) throws(JSONError) -> Bool {
        guard try openObject("message") else { return false }
        var first = true
        while try nextMember(&first) {
            if keyIs("content") {
                choice.content = try messageContent()
            } else if keyIs("reasoning_content") || keyIs("reasoning") {
                if let r = try lenientString(), choice.reasoning == nil { choice.reasoning = r }
            } else {
                try skipValue()
            }
        }
        return true
    }

    private mutating func messageContent() throws(JSONError) -> String {
        guard let c = peek() else { throw error("unexpected end of input") }
        if c == UInt8(ascii: "[") {
            // Content parts: join their text.
            let parts = try value().arrayValue ?? []
            return parts.compactMap { $0["text"]?.stringValue }.joined()
        }
        return try contentString("content") ?? ""
    }

    /// A `content`/`text` member: a string, nil for `null`; any other type is an invalid value.
    private mutating func contentString(_ name: String) throws(JSONError) -> String? {
        guard let c = peek() else { throw error("unexpected end of input") }
        if c == UInt8(ascii: "\"") { return try string(name) }
        if consumeNull() { return nil }
        let start = pos
        let found = try value()
        throw invalid("\(name) is \(found.typeName == "object" ? "an" : "a") \(found.typeName), expected a string", at: start)
    }

    private mutating func usage() throws(JSONError) -> Usage? {
        guard try openObject("usage") else { return nil }
        var u = Usage()
        var first = true
        while try nextMember(&first) {
            if keyIs("prompt_tokens") {
                u.promptTokens = try usageCount("prompt_tokens", corrections: &u.corrections)
            } else if keyIs("completion_tokens") {
                u.completionTokens = try usageCount("completion_tokens", corrections: &u.corrections)
            } else if keyIs("total_tokens") {
                u.totalTokens = try usageCount("total_tokens", corrections: &u.corrections)
            } else if keyIs("completion_tokens_details") {
                guard try openObject("completion_tokens_details") else { continue }
                var firstDetail = true
                while try nextMember(&firstDetail) {
                    if keyIs("reasoning_tokens") {
                        u.reasoningTokens = try usageCount("reasoning_tokens", corrections: &u.corrections)
                    } else {
                        try skipValue()
                    }
                }
            } else {
                try skipValue()
            }
        }
        return u
    }

    /// An array of integers, or nil for `null`.
    mutating func intArray(_ what: @autoclosure () -> String) throws(JSONError) -> [Int]? {
        guard try openArray(what()) else { return nil }
        var out = [Int]()
        var first = true
        while try nextElement(&first) { out.append(try int()) }
        return out
    }
}
