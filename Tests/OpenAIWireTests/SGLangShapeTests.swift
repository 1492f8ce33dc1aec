import HarvestCore
import HarvestJSON
import OpenAIWire
import Testing

/// SGLang's OpenAI-compatible routes, checked in its source (sgl-project/sglang, `python/sglang/srt/entrypoints/openai/`):
/// `protocol.py` (request and response models), `serving_chat.py` (`_process_logprobs_tokens`: token text, `bytes` =
/// the text's UTF-8, `top_logprobs` from a text → logprob map; choice `token_ids` / `prompt_token_ids` with
/// `return_token_ids`), `serving_completions.py` (echo + logprobs sets `logprob_start_len` 0) and `utils.py`
/// (`to_openai_style_logprobs`: `text_offset` -1 for every entry, "not supported yet"; alternatives keyed by text,
/// the first of equal texts kept). The scheduler puts `None` first in the input logprobs (`[None] + …`), and SGLang's own
/// test (`test/srt/openai_server/basic/test_openai_server.py`) says so: "when echo=True and request.logprobs>0 …
/// the first token's logprob would be None".
///
/// The fixtures `sglang_chat_token_ids.json` and `sglang_echo_completions.json` are built from those models field for
/// field (names, order, nulls, float32 values as Python prints them); ids and values are illustrative, not captured
/// from a running server (there is no SGLang server or GPU on the project machine).
@Suite struct SGLangShapeTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:30000/v1", model: "Qwen/Qwen2.5-7B-Instruct", kind: .chat)

    static func body(_ params: SamplingParams, kind: EndpointKind = .chat, server: TeacherServer,
                     messages: [ChatMessage] = [ChatMessage(role: "user", content: "Hi")]) throws(WireError) -> String {
        var teacher = teacher
        teacher.kind = kind
        return String(decoding: try RequestEncoder.body(messages: messages, teacher: teacher, params: params, sampleIndex: 0, server: server),
                      as: UTF8.self)
    }

    @Test func sampledAnswerKeepsTheSampledIdsFromTokenIds() throws {
        let response = try ResponseDecoder.decode(try fixture("sglang_chat_token_ids.json"), kind: .chat)
        let lp = try #require(response.choices.first?.logprobs)
        #expect(response.choices[0].content == "Paris.")
        #expect(lp.map(\.token) == ["Paris", "."])
        #expect(lp.map(\.tokenId) == [59604, 13], "choice token_ids fill the sampled tokens' ids")
        #expect(lp[0].bytes == Array("Paris".utf8))
        #expect(lp[0].logprob.bitPattern == Double(Float(-0.0011682)).bitPattern, "float32 value as Python prints it, bit-exact")
        #expect(lp.allSatisfy { $0.top.count == 2 && $0.top.allSatisfy { $0.tokenId == nil } }, "alternatives carry text only")
        #expect(lp[1].top[1].token == "\u{e9}" && lp[1].top[1].bytes == [0xC3, 0xA9])
    }

    @Test func echoDropsTheGeneratedTokenAndTakesPromptTokenIds() throws {
        let body = try fixture("sglang_echo_completions.json")
        let response = try ResponseDecoder.decode(body, kind: .completions)
        let prompt = "The capital of France is"
        // text_offset is -1 everywhere: the generated entries are found by usage.completion_tokens, with or without
        // the prompt's length.
        for chars in [nil, prompt.unicodeScalars.count] {
            let p = try #require(try ScoredSequenceDecoder.positions(body: body, response: response, form: .echo, promptCharacters: chars))
            #expect(p.map(\.token).joined() == prompt)
            #expect(p.map(\.tokenId) == [785, 6722, 315, 9625, 374], "ids from prompt_token_ids")
            #expect(p[0].logprob.isNaN && p[0].top.isEmpty, "null first, as SGLang's scheduler writes it")
            #expect(p[1].logprob == -9.875 && p[1].top.map(\.token) == [" first", " most"], "the scored token outside the top-k is not added")
            #expect(p[2].top.count == 1, "equal texts collapse: fewer than k alternatives, stored as sent")
            #expect(p[4].top.first?.token == " is", "no shift: entry i's alternatives are the distribution of token i")
        }
    }

    @Test func tokenIdsAreAskedTheWayEachServerDocuments() throws {
        var params = SamplingParams(maxTokens: 8, topLogprobs: 2)
        params.tokenIds = true
        let vllm = try Self.body(params, server: .vllm)
        #expect(vllm.contains(#""return_tokens_as_token_ids":true"#) && !vllm.contains("return_token_ids"))
        let sglang = try Self.body(params, server: .sglang)
        #expect(sglang.contains(#""top_logprobs":2,"return_token_ids":true,"stream":false"#))
        #expect(!sglang.contains("return_tokens_as_token_ids"))
        #expect(throws: WireError.self) { try Self.body(params, server: .openai) }
        #expect(TeacherServer.openai.unsupported(params)?.field == "token_ids")
    }

    @Test func scoringFormsPerServer() throws {
        let scored = [ChatMessage(role: "user", content: "Q"), ChatMessage(role: "assistant", content: "A")]
        var echo = SamplingParams(topLogprobs: 3)
        echo.score = .echo
        echo.tokenIds = true
        let sglangEcho = try Self.body(echo, kind: .completions, server: .sglang, messages: scored)
        #expect(sglangEcho.contains(#""logprobs":3,"echo":true,"return_token_ids":true"#))
        var prompt = SamplingParams(topLogprobs: 3)
        prompt.score = .promptLogprobs
        #expect(TeacherServer.vllm.unsupported(prompt) == nil)
        for server in [TeacherServer.sglang, .openai] {
            let error = try #require(server.unsupported(prompt))
            #expect(error.field == "score" && error.message.contains("use score echo"))
            #expect(throws: WireError.self) { try Self.body(prompt, server: server, messages: scored) }
        }
        #expect(TeacherServer.openai.unsupported(echo)?.field == "token_ids")
        echo.tokenIds = false
        #expect(TeacherServer.openai.unsupported(echo) == nil, "echo is OpenAI's own form (llama.cpp answers it)")
    }
}
