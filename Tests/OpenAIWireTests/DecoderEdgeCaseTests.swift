import HarvestCore
import OpenAIWire
import Testing

@Suite struct DecoderEdgeCaseTests {
    @Test func minimalChat() throws {
        let r = try decode(#"{"choices":[{"message":{"content":"x"}}]}"#)
        #expect(r == TeacherResponse(choices: [CompletionChoice(index: 0, content: "x")]))
    }

    @Test func unknownFieldsAreSkippedAtEveryLevel() throws {
        let json = #"""
        {"weird":{"a":[1,{"b":"}"}],"c":"\"]"},"choices":[{"extra":[[[]]],"message":{"x":{"y":null},"content":"ok","z":"\u0041"},
        "logprobs":{"content":[{"token":"a","q":[1,2],"logprob":-1,"bytes":[97],"top_logprobs":[{"token":"a","logprob":-1,"r":{}}]}],"s":1},
        "index":0}],"usage":{"prompt_tokens":1,"foo":{"bar":[1]},"completion_tokens_details":{"x":1,"reasoning_tokens":5}},"tail":true}
        """#
        let r = try decode(json)
        #expect(r.choices[0].content == "ok")
        #expect(r.choices[0].logprobs == [TokenLogprob(token: "a", logprob: -1, bytes: [97], top: [TopLogprob(token: "a", logprob: -1)])])
        #expect(r.usage == Usage(promptTokens: 1, reasoningTokens: 5))
    }

    @Test func nullLogprobsAndMinusInfinitySentinel() throws {
        let r = try decode(#"{"choices":[{"message":{"content":null},"logprobs":{"content":[{"token":"a","logprob":null,"top_logprobs":[{"token":"c","logprob":null},{"token":"d","logprob":-9999.0}]}]}}]}"#)
        let t = try #require(r.choices[0].logprobs?.first)
        #expect(t.logprob.bitPattern == Double.nan.bitPattern)
        #expect(t.bytes == nil)
        #expect(t.top.map(\.logprob.bitPattern) == [Double.nan.bitPattern, (-9999.0).bitPattern])
        #expect(r.choices[0].content == "")
    }

    @Test func negativeZeroAndExtremeNumbers() throws {
        let texts = ["-0.0", "-0", "1e-300", "4.9406564584124654e-324", "2.2250738585072011e-308", "-1.7976931348623157e308", "1e-6",
                     "-123456789012345678901234567890", "-0.30000000000000004", "-1.00000000000000000000001", "-9007199254740993"]
        let body = "{\"choices\":[{\"message\":{\"content\":\"\"},\"logprobs\":{\"content\":["
            + texts.map { "{\"token\":\"t\",\"logprob\":\($0)}" }.joined(separator: ",") + "]}}]}"
        let lp = try #require(try decode(body).choices[0].logprobs)
        #expect(lp.map(\.logprob.bitPattern) == texts.map(bits))
    }

    @Test func tokenIdForms() throws {
        let tokens = ["token_id:0", "token_id:-5", "token_id:9223372036854775807", "token_id:9223372036854775808",
                      "token_id:", "token_id:12a", "Token_id:3", "token_id:1\\u0032"]
        let body = "{\"choices\":[{\"message\":{\"content\":\"\"},\"logprobs\":{\"content\":["
            + tokens.map { "{\"token\":\"\($0)\",\"logprob\":-1}" }.joined(separator: ",") + "]}}]}"
        let lp = try #require(try decode(body).choices[0].logprobs)
        #expect(lp.map(\.tokenId) == [0, -5, Int.max, nil, nil, nil, nil, 12])
        #expect(lp[7].token == "token_id:12")
    }

    @Test func tokenIdsArrayOnlyWhenCountsMatch() throws {
        let entry = #"{"token":"a","logprob":-1}"#
        let ok = try decode(#"{"choices":[{"token_ids":[7,8],"message":{"content":"aa"},"logprobs":{"content":["# + entry + "," + entry + "]}}]}")
        #expect(ok.choices[0].logprobs?.map(\.tokenId) == [7, 8])
        let mismatch = try decode(#"{"choices":[{"token_ids":[7],"message":{"content":"aa"},"logprobs":{"content":["# + entry + "," + entry + "]}}]}")
        #expect(mismatch.choices[0].logprobs?.map(\.tokenId) == [nil, nil])
        // An id from the token text wins over token_ids.
        let both = try decode(#"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"token_id:3","logprob":-1}]},"token_ids":[4]}]}"#)
        #expect(both.choices[0].logprobs?.map(\.tokenId) == [3])
    }

    @Test func bytesNullAbsentEmpty() throws {
        let r = try decode(#"{"choices":[{"message":{"content":""},"logprobs":{"content":[{"token":"a","logprob":-1,"bytes":null},{"token":"b","logprob":-1},{"token":"","logprob":-1,"bytes":[]},{"token":"","logprob":-1,"bytes":[255,0]}]}}]}"#)
        #expect(r.choices[0].logprobs?.map(\.bytes) == [nil, nil, [], [255, 0]])
        #expect(decodeError(Array(#"{"choices":[{"message":{"content":""},"logprobs":{"content":[{"token":"a","logprob":-1,"bytes":[256]}]}}]}"#.utf8)) != nil)
    }

    @Test func logprobsShapes() throws {
        let nullLogprobs = try decode(#"{"choices":[{"message":{"content":"a"},"logprobs":null}]}"#)
        #expect(nullLogprobs.choices[0].logprobs == nil)
        let nullContent = try decode(#"{"choices":[{"message":{"content":"a"},"logprobs":{"content":null,"refusal":null}}]}"#)
        #expect(nullContent.choices[0].logprobs == nil)
        let empty = try decode(#"{"choices":[{"message":{"content":""},"logprobs":{"content":[]}}]}"#)
        #expect(empty.choices[0].logprobs == [])
        #expect(ResponseDecoder.missingLogprobs(empty, requested: SamplingParams(topLogprobs: 1)) == [])
        let emptyForText = try decode(#"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[]}}]}"#)
        #expect(ResponseDecoder.missingLogprobs(emptyForText, requested: SamplingParams(topLogprobs: 0)) == [0])
    }

    @Test func contentParts() throws {
        let r = try decode(#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"image"},{"type":"text","text":"b"}]}}]}"#)
        #expect(r.choices[0].content == "ab")
    }

    @Test func reasoningContentPreferredWhenBothSent() throws {
        let r = try decode(#"{"choices":[{"message":{"reasoning_content":"r1","reasoning":"r2","content":"c"}}]}"#)
        #expect(r.choices[0].reasoning == "r1")
        let n = try decode(#"{"choices":[{"message":{"reasoning_content":null,"reasoning":"r2","content":"c"}}]}"#)
        #expect(n.choices[0].reasoning == "r2")
    }

    @Test func leniencyOnTopLevelTypes() throws {
        let r = try decode(#"{"id":123,"model":null,"created":1.7e9,"system_fingerprint":["x"],"choices":[{"index":"0","finish_reason":7,"message":{"content":"a"}}]}"#)
        #expect(r.id == nil)
        #expect(r.model == nil)
        #expect(r.created == 1_700_000_000)
        #expect(r.systemFingerprint == nil)
        #expect(r.choices[0].index == 0)
        #expect(r.choices[0].finishReason == nil)
    }

    @Test func byteOrderMarkAndWhitespace() throws {
        let body: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(" \n\t{ \"choices\" : [ { \"message\" : { \"content\" : \"a\" } } ] } \r\n".utf8)
        #expect(try ResponseDecoder.decode(body, kind: .chat).choices[0].content == "a")
    }

    @Test func invalidUTF8IsDecodedLossily() throws {
        let body = Array(#"{"choices":[{"message":{"content":""#.utf8) + [0x61, 0xFF, 0x62] + Array(#""}}]}"#.utf8)
        #expect(try ResponseDecoder.decode(body, kind: .chat).choices[0].content == "a\u{FFFD}b")
    }

    @Test func noChoices() {
        for json in [#"{"choices":[]}"#, #"{"id":"x"}"#, #"{"choices":null}"#] {
            #expect(decodeError(Array(json.utf8)) == .noChoices(bodyPrefix: json))
        }
    }

    @Test func otherServerErrorShapes() {
        #expect(decodeError(Array(#"{"object":"error","message":"max_tokens too large","type":"BadRequestError","param":null,"code":400}"#.utf8))
            == .serverError(message: "max_tokens too large", type: "BadRequestError"))
        #expect(decodeError(Array(#"{"error":{"code":500,"message":"context full","type":"server_error"}}"#.utf8))
            == .serverError(message: "context full", type: "server_error"))
        #expect(decodeError(Array(#"{"error":"model not loaded"}"#.utf8)) == .serverError(message: "model not loaded", type: nil))
        #expect(decodeError(Array(#"{"error":{"code":"overloaded"}}"#.utf8))
            == .serverError(message: #"{"code":"overloaded"}"#, type: "overloaded"))
        #expect(decodeError(Array(#"{"detail":"Not Found"}"#.utf8)) == .serverError(message: "Not Found", type: nil))
        #expect(decodeError(Array(#"{"error":null,"choices":[{"message":{"content":"a"}}]}"#.utf8)) == nil)
    }

    @Test func malformedBodies() {
        let cases: [(String, String)] = [
            ("", "empty body"),
            ("[1]", "body is not a JSON object"),
            (#"{"choices":[{"message":{"content":"a"}}]} x"#, "unexpected characters after the JSON object"),
            (#"{"choices":{"a":1}}"#, "expected choices to be an array"),
            (#"{"choices":[{"message":{"content":"a"}},]}"#, ""),
            (#"{"choices":[{"message":{"content":"a"}}"#, "unexpected end of input inside an array"),
            (#"{"choices":[{"finish_reason":"stop"}]}"#, "chat choice 0 has no message"),
            (#"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":"x"}]}}]}"#, "invalid number"),
            (#"{"choices":[{"message":{"content":"a\u12"}}]}"#, "invalid \\u escape"),
            ("data: {\"choices\":[]}\n\ndata: [DONE]", "body is a server-sent event stream, not one JSON object (was streaming on?)"),
            (#"{"choices":[{"message":{"content":"a"},"x":"\"#, "unterminated string"),
        ]
        for (json, reason) in cases {
            guard case .malformed(let r, let offset, let prefix) = decodeError(Array(json.utf8)) else {
                Issue.record("expected malformed for \(json)")
                continue
            }
            #expect(offset >= 0 && offset <= json.utf8.count, "\(json)")
            if !reason.isEmpty { #expect(r == reason, "\(json)") }
            #expect(prefix == WireError.bodyPrefix(Array(json.utf8)))
        }
    }

    @Test func completionsRequiresText() throws {
        #expect(try decode(#"{"choices":[{"text":"a","index":0}]}"#, .completions).choices[0].content == "a")
        guard case .malformed(let reason, _, _) = decodeError(Array(#"{"choices":[{"index":0}]}"#.utf8), .completions) else {
            Issue.record("expected malformed")
            return
        }
        #expect(reason == "completion choice 0 has no text")
    }

    @Test func legacyColumnsMustAlign() {
        let body = #"{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"],"token_logprobs":[-1]}}]}"#
        guard case .malformed(let reason, _, _) = decodeError(Array(body.utf8), .completions) else {
            Issue.record("expected malformed")
            return
        }
        #expect(reason == "logprobs.token_logprobs has 1 entries for 2 tokens")
        let noTop = #"{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"],"token_logprobs":[-1,-2],"top_logprobs":null}}]}"#
        #expect(decodeError(Array(noTop.utf8), .completions) == nil)
    }

    @Test func escapedKeysMatch() throws {
        let r = try decode(#"{"ch\u006fices":[{"mess\u0061ge":{"content":"a"},"logprobs":{"tokens":["x"],"token_logprobs":[-1],"top_logprobs":[{"\u0078":-1,"token_id:\u0031":-2}]}}]}"#)
        #expect(r.choices[0].logprobs == [TokenLogprob(token: "x", logprob: -1, top: [TopLogprob(token: "x", logprob: -1), TopLogprob(token: "token_id:1", logprob: -2, tokenId: 1)])])
    }

    @Test func bodyPrefixIsPrintable() {
        #expect(WireError.bodyPrefix(Array("a\nb\tc\u{1}d".utf8)) == "a b c·d")
        let long = [UInt8](repeating: 0x61, count: 199) + Array("é and more".utf8)
        let p = WireError.bodyPrefix(long)
        #expect(p == String(repeating: "a", count: 199) + "…")  // the cut never splits é
        #expect(WireError.bodyPrefix([0xFF]) == "\u{FFFD}")
    }

    @Test func descriptions() {
        #expect(WireError.malformed(reason: "r", offset: 3, bodyPrefix: "<html>").description
            == "malformed response: r at byte 3; body starts: \"<html>\"")
        #expect(WireError.noChoices(bodyPrefix: "").description == "response has no choices; body starts: (empty body)")
        #expect(WireError.serverError(message: "m", type: nil).description == "server error: m")
        #expect(WireError.unsupported(reason: "x").description == "unsupported request: x")
    }
}

@Suite struct BytesArrayFormsTests {
    static func bytes(_ array: String, token: String = "ab") throws -> [UInt8]? {
        try decode(#"{"choices":[{"message":{"content":""},"logprobs":{"content":[{"token":"\#(token)","logprob":-1,"bytes":\#(array)}]}}]}"#)
            .choices[0].logprobs?[0].bytes
    }

    @Test func forms() throws {
        #expect(try Self.bytes("[97,98]") == [97, 98])
        #expect(try Self.bytes("[ 97 , 98 ]") == [97, 98])
        #expect(try Self.bytes("[0,255,7,8,9,10,11]", token: "") == [0, 255, 7, 8, 9, 10, 11])  // more than expected
        #expect(try Self.bytes("[97.0,98e0]") == [97, 98])
        #expect(try Self.bytes("[097]") == [97])
        #expect(try Self.bytes("[]") == [])
        #expect(try Self.bytes("null") == nil)
        for bad in ["[1,]", "[1", "[256]", "[-1]", "[1 2]", "[\"a\"]", "[1000]", "{}"] {
            #expect(throws: WireError.self, "\(bad)") { try Self.bytes(bad) }
        }
    }
}
