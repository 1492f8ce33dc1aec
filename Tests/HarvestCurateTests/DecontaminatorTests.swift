import Foundation
import HarvestCurate
import Testing

@Suite("Decontamination")
struct DecontaminatorTests {
    static let gsm = """
        {"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.", "answer": "72"}
        {"question": "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting.", "answer": "10"}

        """

    @Test func reportsEvalSetLineAndNgram() throws {
        let path = try temporaryFile("gsm8k.jsonl", Self.gsm)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let d = try Decontaminator.load([EvalSetSource(path: path, name: "gsm8k")])
        #expect(d.evalSets.map(\.items) == [2])
        let prompt = "Please solve: WENG earns $12 an hour for babysitting; yesterday she did 50 minutes. How much?"
        let hit = try #require(d.check(prompt))
        #expect(hit.evalSet == "gsm8k")
        #expect(hit.evalLine == 2)
        #expect(hit.ngram == "weng earns 12 an hour for babysitting yesterday")
        #expect(d.check("Weng earns money by walking dogs on Sundays in the park near her home.") == nil)
    }

    @Test func sevenSharedWordsAreNotAnEightGramHit() throws {
        var d = try Decontaminator()
        d.add(EvalSet(name: "set", texts: ["one two three four five six seven eight nine ten"]))
        #expect(d.check("xx one two three four five six seven yy") == nil)
        #expect(d.check("xx one two three four five six seven eight yy")?.ngram == "one two three four five six seven eight")
        var d13 = try Decontaminator(n: 13)
        d13.add(EvalSet(name: "set", texts: ["one two three four five six seven eight nine ten"]))
        #expect(d13.evalSets[0].shortItems == 1)
        #expect(d13.check("one two three four five six seven eight nine ten") == nil)
    }

    @Test func plainTextAndFieldChoice() throws {
        let lines = try temporaryFile("mmlu.txt", "\nThe capital city of France is known for the Eiffel Tower and museums\n")
        let jsonl = try temporaryFile("math.jsonl", #"{"problem": "Find the number of ordered pairs of positive integers that satisfy the equation"}"# + "\n")
        defer {
            try? FileManager.default.removeItem(atPath: lines)
            try? FileManager.default.removeItem(atPath: jsonl)
        }
        let d = try Decontaminator.load([EvalSetSource(path: lines), EvalSetSource(path: jsonl, format: .jsonl(fields: ["problem"]))])
        #expect(d.check("Q: the capital city of France is known for the Eiffel tower?")?.evalLine == 2)
        #expect(d.check("find the number of ordered pairs of positive integers")?.evalSet.hasPrefix("harvest-curate-") == true)
        #expect(d.params.canonicalJSON.contains(#""n":8"#))
    }

    @Test func malformedJSONNamesFileAndLine() throws {
        let path = try temporaryFile("bad.jsonl", #"{"question": "fine"}"# + "\n" + #"{"question": "broken"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: CurationError.self) { try EvalSet.load(EvalSetSource(path: path)) }
        #expect(error.kind == .evalSet)
        #expect(error.location == "\(path):2")
        #expect(error.description.contains("not valid JSON"))
        #expect(error.description.contains("nothing was marked"))
    }

    @Test func missingOrWrongTypedFieldIsNamed() throws {
        let missing = try temporaryFile("a.jsonl", #"{"input": "x", "target": "y"}"# + "\n")
        let wrong = try temporaryFile("b.jsonl", #"{"question": 42}"# + "\n")
        defer {
            try? FileManager.default.removeItem(atPath: missing)
            try? FileManager.default.removeItem(atPath: wrong)
        }
        let e1 = try #require(throws: CurationError.self) { try EvalSet.load(EvalSetSource(path: missing)) }
        #expect(e1.description == "\(missing):1: field \"question|prompt|problem\": missing; the object has keys: input, target "
            + "(set the eval set's text field to one of its keys; nothing was marked)")
        let e2 = try #require(throws: CurationError.self) { try EvalSet.load(EvalSetSource(path: wrong)) }
        #expect(e2.field == "question")
        #expect(e2.message == "expected a string, found number")
    }

    @Test func loadIsAllOrNothing() throws {
        let good = try temporaryFile("good.txt", "alpha beta gamma delta epsilon zeta eta theta\n")
        defer { try? FileManager.default.removeItem(atPath: good) }
        let error = try #require(throws: CurationError.self) {
            try Decontaminator.load([EvalSetSource(path: good), EvalSetSource(path: "/nonexistent/eval.jsonl")])
        }
        #expect(error.location == "/nonexistent/eval.jsonl")
        #expect(error.message == "cannot read the eval set file")
    }
}
