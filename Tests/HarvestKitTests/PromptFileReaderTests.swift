import HarvestCore
import HarvestKit
import Testing

@Suite struct PromptFileReaderTests {
    let reader = PromptFileReader()

    func parse(_ text: String, _ format: PromptFileFormat = .jsonl) throws(ImportError) -> [PromptInput] {
        try reader.parse(Array(text.utf8), name: "p.jsonl", format: format)
    }

    func error(_ text: String, _ format: PromptFileFormat = .jsonl) -> ImportError? {
        do {
            _ = try parse(text, format)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsPromptAndMessagesRows() throws {
        let prompts = try parse("""
            {"id":"a","prompt":"hi","metadata":{"k":[1,2]}}

            {"id":7,"system":"be brief","messages":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"}]}
            """)
        #expect(prompts.count == 2)
        #expect(prompts[0].externalId == "a")
        #expect(prompts[0].messages == [ChatMessage(role: "user", content: "hi")])
        #expect(prompts[0].metadataJSON == #"{"k":[1,2]}"#)
        #expect(prompts[1].externalId == "7")
        #expect(prompts[1].messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(prompts[1].source.line == 3)
    }

    @Test func missingIdUsesContentHash() throws {
        let a = try parse(#"{"prompt":"same"}"#)
        let b = try parse("\n\n" + #"{"prompt":"same"}"#)
        #expect(a[0].externalId == b[0].externalId)
        #expect(a[0].externalId.count == 16)
    }

    @Test func malformedLineNamesFileLineAndColumn() {
        let e = error("{\"prompt\":\"ok\"}\n{\"prompt\": \"unterminated}\n")
        #expect(e?.location == InputLocation(file: "p.jsonl", line: 2))
        #expect(e?.description.hasPrefix("p.jsonl:2: not valid JSON") == true)
    }

    @Test func wrongFieldTypesNameTheField() {
        #expect(error(#"{"prompt": 5}"#)?.field == "prompt")
        #expect(error(#"{"id":"x"}"#)?.field == "prompt")
        #expect(error(#"{"messages":[{"role":"user","content":"a"},{"role":3,"content":"b"}]}"#)?.field == "messages[1].role")
        #expect(error(#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#)?.field == "messages[1].role")
        #expect(error(#"{"prompt":"a","messages":[]}"#)?.field == "messages")
        #expect(error(#"{"prompt":"a","system":["x"]}"#)?.field == "system")
        #expect(error(#"{"prompt":"a","id":true}"#)?.field == "id")
        #expect(error("[1,2]")?.message.contains("expected a JSON object") == true)
    }

    @Test func duplicateIdWithOtherPromptIsAnError() {
        let e = error("{\"id\":\"x\",\"prompt\":\"a\"}\n{\"id\":\"x\",\"prompt\":\"b\"}")
        #expect(e?.location.line == 2)
        #expect(e?.field == "id")
        #expect(e?.description.contains("first at line 1") == true)
    }

    @Test func duplicateIdenticalRowIsKeptOnce() throws {
        let prompts = try parse("{\"id\":\"x\",\"prompt\":\"a\"}\n{\"id\":\"x\",\"prompt\":\"a\"}")
        #expect(prompts.count == 1)
    }

    @Test func emptyFileIsAnError() {
        #expect(error("\n  \n")?.message.contains("no prompts") == true)
    }

    @Test func csvWithQuotedCommasQuotesAndNewlines() throws {
        let csv = "id,prompt,extra\r\n1,\"Hello, \"\"world\"\"\",x\r\n2,\"line one\nline two\",y\n3,plain,z\n"
        let prompts = try reader.parse(Array(csv.utf8), name: "p.csv", format: .csv)
        #expect(prompts.map(\.externalId) == ["1", "2", "3"])
        #expect(prompts[0].messages.last?.content == "Hello, \"world\"")
        #expect(prompts[1].messages.last?.content == "line one\nline two")
        #expect(prompts[2].source.line == 5, "record 2 spans lines 3–4")
    }

    @Test func csvWithoutTheColumnSaysWhichColumnsExist() {
        do {
            _ = try reader.parse(Array("id,question\n1,what\n".utf8), name: "q.csv", format: .csv)
            Issue.record("expected an error")
        } catch {
            #expect(error.location == InputLocation(file: "q.csv", line: 1))
            #expect(error.field == "prompt")
            #expect(error.message.contains("columns: id, question"))
        }
    }

    @Test func csvRaggedRowIsAnError() {
        #expect(error("id,prompt\n1,a,b\n", .csv)?.location.line == 2)
    }

    @Test func textFileOnePromptPerLine() throws {
        let prompts = try reader.parse(Array("first\n\n  \nsecond\r\n".utf8), name: "p.txt", format: .text)
        #expect(prompts.map { $0.messages.last!.content } == ["first", "second"])
        #expect(prompts.map(\.source.line) == [1, 4])
    }

    @Test func invalidUTF8IsAnError() {
        var bytes = Array("{\"prompt\":\"".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"}".utf8)
        do {
            _ = try reader.parse(bytes, name: "bad.jsonl", format: .jsonl)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("UTF-8"))
        }
    }

    @Test func missingFileIsAnError() {
        do {
            _ = try reader.read(path: "/nonexistent/harvest/prompts.jsonl")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("/nonexistent/harvest/prompts.jsonl"))
        }
    }

    @Test func formatGuessedFromExtension() {
        #expect(PromptFileFormat.guess(path: "a.JSONL") == .jsonl)
        #expect(PromptFileFormat.guess(path: "a.csv") == .csv)
        #expect(PromptFileFormat.guess(path: "a.txt") == .text)
    }
}
