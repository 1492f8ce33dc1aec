import HarvestCore
import OpenAIWire
import Testing

/// Transcoding logprobs straight into `HLP1` gives exactly `LogprobCodec.encode` of the decoded values, and
/// fails exactly where decoding fails.
@Suite struct EncodedLogprobsTests {
    /// Both decodings of `body`: equal errors, or equal responses once the values are encoded.
    func expectSameAsDecodeThenEncode(_ body: [UInt8], _ kind: EndpointKind, _ label: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
        let values: Result<TeacherResponse, WireError>
        let encoded: Result<TeacherResponse, WireError>
        do { values = .success(try ValueDecoderOracle.decode(body, kind: kind)) } catch { values = .failure(error) }
        do { encoded = .success(try ResponseDecoder.decode(body, kind: kind, encodeLogprobs: true)) } catch { encoded = .failure(error) }
        switch (values, encoded) {
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(label): same error", sourceLocation: sourceLocation)
        case (.success(var a), .success(var b)):
            for i in a.choices.indices where i < b.choices.count {
                #expect(a.choices[i].logprobs.map(LogprobCodec.encode) == b.choices[i].encodedLogprobs,
                        "\(label): choice \(i) blob", sourceLocation: sourceLocation)
                #expect(a.choices[i].logprobTokenCount == b.choices[i].logprobTokenCount, "\(label): count", sourceLocation: sourceLocation)
                #expect(b.choices[i].logprobs == nil, sourceLocation: sourceLocation)
                a.choices[i].logprobs = nil
                b.choices[i].encodedLogprobs = nil
                b.choices[i].encodedLogprobCount = 0
            }
            #expect(a == b, "\(label): everything else equal", sourceLocation: sourceLocation)
        default:
            Issue.record("\(label): one decoding failed, the other did not: \(values) vs \(encoded)", sourceLocation: sourceLocation)
        }
    }

    @Test func fixturesTranscodeBitExact() throws {
        for name in RobustnessTests.names {
            let kind: EndpointKind = name.contains("completions") ? .completions : .chat
            expectSameAsDecodeThenEncode(try fixture(name), kind, name)
        }
    }

    @Test func randomResponsesTranscodeBitExact() {
        var gen = ResponseGenerator(rng: SplitMix64(state: 0xB10B))
        for n in 0..<300 {
            expectSameAsDecodeThenEncode(gen.make().body, .chat, "response \(n)")
        }
    }

    @Test func truncationsAndCorruptionsFailTheSameWay() throws {
        var rng = SplitMix64(state: 7)
        let interesting: [UInt8] = Array("{}[],:\"\\0123456789-.eEnulltrfaNI \n".utf8) + [0x00, 0xFF, 0xC3, 0x80]
        for name in ["openai_chat_logprobs.json", "vllm_chat_token_ids.json", "llamacpp_chat.json"] {
            let body = try fixture(name)
            for n in stride(from: 0, to: body.count, by: max(1, body.count / 400)) {
                expectSameAsDecodeThenEncode(Array(body[..<n]), .chat, "\(name) cut at \(n)")
            }
            for k in 0..<300 {
                var b = body
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: b[i] = interesting.randomElement(using: &rng)!
                    case 1: b.remove(at: i)
                    default: b.insert(interesting.randomElement(using: &rng)!, at: i)
                    }
                }
                expectSameAsDecodeThenEncode(b, .chat, "\(name) corruption \(k)")
            }
        }
    }

    @Test func oddShapesTranscodeBitExact() {
        let bodies = [
            // Members in any order, top_logprobs before the token, repeated members, null bytes and tokens.
            #"{"choices":[{"message":{"content":"ab"},"logprobs":{"content":[{"top_logprobs":[{"logprob":-1,"token":"b","bytes":[98]}],"token":"a","logprob":-0.5,"bytes":null},{"token":null,"logprob":null,"bytes":[1,2,3],"top_logprobs":null}]}}]}"#,
            #"{"choices":[{"message":{"content":"x"},"logprobs":{"content":[{"token":"x","logprob":-1,"top_logprobs":[{"token":"y","logprob":-2}],"top_logprobs":[{"token":"z","logprob":-3}]}]}}]}"#,
            // Escapes, non-ASCII, token ids in both forms, bytes with whitespace and fractions.
            #"{"choices":[{"message":{"content":"é"},"logprobs":{"content":[{"token":"\u00e9\n","logprob":-1e-3,"bytes":[ 195 , 169.0 ],"id":7,"top_logprobs":[{"token":"token_id:42","logprob":-2},{"token":"日本","logprob":-3,"bytes":[230,151,165,230,156,172]}]}]}}]}"#,
            // vLLM token_ids filling sampled ids; legacy completions columns.
            #"{"choices":[{"message":{"content":"ab"},"token_ids":[5,6],"logprobs":{"content":[{"token":"a","logprob":-1},{"token":"token_id:9","logprob":-2}]}}]}"#,
            #"{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"],"token_logprobs":[null,-1],"top_logprobs":[null,{"b":-1,"c":-2}]}}]}"#,
            // bytes before the token (equal to an empty token so far), bytes repeated, tokens repeated.
            #"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"bytes":[],"token":"a","logprob":-1,"top_logprobs":[{"bytes":[98],"token":"b","logprob":-2},{"bytes":[],"token":"","logprob":-3}]},{"token":"c","bytes":[99],"token":"d","logprob":-1},{"token":"e","bytes":[1],"bytes":[101],"logprob":-1}]}}]}"#,
            #"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"ab","bytes":[97],"logprob":-1},{"token":"a","bytes":[97,98],"logprob":-1},{"token":"a","bytes":[ 97],"logprob":-1},{"token":"","bytes":[],"logprob":-1}]}}]}"#,
            // Empty content list, null logprobs, missing logprobs, out-of-range bytes.
            #"{"choices":[{"message":{"content":""},"logprobs":{"content":[]}}]}"#,
            #"{"choices":[{"message":{"content":"a"},"logprobs":null}]}"#,
            #"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-1,"bytes":[256]}]}}]}"#,
            #"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-1,"bytes":[-1]}]}}]}"#,
        ]
        for (i, body) in bodies.enumerated() {
            let kind: EndpointKind = body.contains("\"text\"") ? .completions : .chat
            expectSameAsDecodeThenEncode(Array(body.utf8), kind, "shape \(i)")
        }
    }
}
