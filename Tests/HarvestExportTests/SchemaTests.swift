import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// A strict JSON shape: objects list every key (required, or optional when named in `optional`) and allow no others.
indirect enum Shape: Sendable {
    case string, number, int, null
    case oneOf([Shape])
    case array(Shape)
    case tuple([Shape])
    case object([(String, Shape)], optional: Set<String> = [])

    /// Problems found, as `path: message`.
    func problems(_ v: JSONValue, at path: String = "$") -> [String] {
        switch (self, v) {
        case (.string, .string), (.number, .number), (.null, .null): return []
        case (.int, .number): return v.intValue == nil ? ["\(path): not an integer"] : []
        case (.oneOf(let shapes), _):
            let all = shapes.map { $0.problems(v, at: path) }
            return all.contains { $0.isEmpty } ? [] : ["\(path): matches none of \(shapes.count) shapes: \(all.flatMap { $0 }.prefix(3))"]
        case (.array(let element), .array(let items)):
            return items.enumerated().flatMap { element.problems($1, at: "\(path)[\($0)]") }
        case (.tuple(let shapes), .array(let items)):
            guard items.count == shapes.count else { return ["\(path): \(items.count) items, want \(shapes.count)"] }
            return zip(shapes, items).enumerated().flatMap { $1.0.problems($1.1, at: "\(path)[\($0)]") }
        case (.object(let members, let optional), .object(let got)):
            var out: [String] = []
            let keys = got.map(\.0)
            if Set(keys).count != keys.count { out.append("\(path): duplicate keys \(keys)") }
            for k in keys where !members.contains(where: { $0.0 == k }) { out.append("\(path): extra key \(k)") }
            for (k, shape) in members {
                if let value = v[k] {
                    out += shape.problems(value, at: "\(path).\(k)")
                } else if !optional.contains(k) {
                    out.append("\(path): missing key \(k)")
                }
            }
            return out
        default:
            return ["\(path): \(v.typeName) where \(self) was expected"]
        }
    }
}

@Suite("Strict schema read-back per format")
struct SchemaTests {
    static let message = Shape.object([("role", .string), ("content", .string)])
    static let assistantField = Shape.object([("role", .string), ("content", .string), ("reasoning_content", .string)])
    static let kdEntry = Shape.object([("token", .string), ("logprob", .number)])
    static let topEntry = Shape.object([("token", .string), ("logprob", .number), ("bytes", .array(.int)), ("token_id", .int)],
                                       optional: ["bytes", "token_id"])
    static let openAILogprobs = Shape.array(.object(
        [("token", .string), ("logprob", .number), ("bytes", .array(.int)), ("token_id", .int), ("top_logprobs", .array(topEntry))],
        optional: ["bytes", "token_id"]))

    static let schemas: [String: Shape] = [
        "openai": .object([("messages", .array(.oneOf([message, assistantField])))]),
        "sharegpt": .object([
            ("conversations", .array(.oneOf([
                .object([("from", .string), ("value", .string)]),
                .object([("from", .string), ("value", .string), ("reasoning_content", .string)]),
            ]))),
            ("system", .string),
        ]),
        "alpaca": .object([
            ("instruction", .string), ("input", .string), ("output", .string), ("reasoning_content", .string),
            ("system", .string), ("history", .array(.tuple([.string, .string]))),
        ], optional: ["reasoning_content"]),
        "trl": .object([("prompt", .array(message)), ("completion", .tuple([.oneOf([message, assistantField])]))]),
        "kd": .object([("messages", .array(.oneOf([message, assistantField]))), ("target_token_ids", .array(.array(.int))),
                       ("logprobs", .array(.array(.number))), ("temperature", .oneOf([.number, .null]))]),
        "raw": .object([
            ("id", .int), ("job_id", .int), ("prompt_id", .int), ("prompt_hash", .string), ("external_id", .oneOf([.string, .null])),
            ("metadata", .oneOf([.object([("source", .string), ("level", .int)]), .null])), ("messages", .array(message)),
            ("teacher", .object([("base_url", .string), ("model", .string), ("kind", .string)])),
            ("params", .object([("max_tokens", .int), ("temperature", .number), ("top_p", .number), ("seed", .int),
                                ("top_logprobs", .int)], optional: ["max_tokens", "temperature", "top_p", "seed", "top_logprobs"])),
            ("sample_index", .int), ("model", .oneOf([.string, .null])), ("response_id", .oneOf([.string, .null])),
            ("completion", .string), ("reasoning", .oneOf([.string, .null])), ("finish_reason", .oneOf([.string, .null])),
            ("usage", .oneOf([.null, .object([("prompt_tokens", .oneOf([.int, .null])), ("completion_tokens", .oneOf([.int, .null])),
                                              ("total_tokens", .oneOf([.int, .null])), ("reasoning_tokens", .oneOf([.int, .null]))])])),
            ("logprobs", .oneOf([openAILogprobs, .null])), ("received_at", .number),
        ]),
    ]

    /// Exports the fixtures through the pipeline to a real file and parses every line back.
    static func exportAndRead(_ format: any ExportFormat, _ options: ExportOptions = ExportOptions()) throws -> [JSONValue] {
        let dir = TempDir("schema")
        defer { dir.remove() }
        let path = dir.file("out.jsonl")
        let pipeline = try ExportPipeline(plan: ExportPlan(format: format, options: options, output: .file(path)), harvestVersion: "test")
        for row in Fixtures.all { try pipeline.consume(row) }
        _ = try pipeline.finish()
        return try readLines(readBytes(path)).map { try JSONValue.parse($0) }
    }

    @Test(arguments: ["openai", "sharegpt", "alpaca", "trl", "kd", "raw"])
    func everyLineMatchesSchema(name: String) throws {
        let format = try #require(ExportFormats.named(name))
        let values = try Self.exportAndRead(format)
        // kd leaves out rows without logprobs or without token ids.
        let rows = name == "kd" ? Fixtures.all.filter { $0.choice.logprobs.map(KDFormat.hasAllIds) ?? false } : Fixtures.all
        #expect(values.count == rows.count)
        let schema = try #require(Self.schemas[name])
        for (i, v) in values.enumerated() {
            #expect(schema.problems(v) == [], "\(name) row \(i)")
        }
        // Keys that depend on the row are filled exactly when the row calls for them.
        for (row, v) in zip(rows, values) {
            let hasSystem = row.messages.contains { $0.role == "system" }
            let multiTurn = row.messages.filter { $0.role != "system" }.count > 1
            switch name {
            case "sharegpt":
                #expect((v["system"]?.stringValue != "") == hasSystem)
                #expect(v["conversations"]?.arrayValue?.last?["from"]?.stringValue == "gpt")
            case "alpaca":
                #expect((v["system"]?.stringValue != "") == hasSystem)
                #expect((v["history"]?.arrayValue?.isEmpty == false) == multiTurn)
            case "openai", "kd":
                let messages = v["messages"]?.arrayValue ?? []
                #expect(messages.count == row.messages.count + 1)
                #expect(messages.last?["role"]?.stringValue == "assistant")
                // openai: only keys OpenAI accepts (#11 item 1); kd keeps reasoning as a field by default.
                #expect((messages.last?["reasoning_content"] != nil) == (name == "kd"))
                if name == "openai" {
                    #expect(messages.allSatisfy { Set(($0.objectValue ?? []).map(\.0)).isSubset(of: ["role", "content", "name", "weight"]) })
                }
                if name == "kd" {
                    #expect(v["logprobs"]?.arrayValue?.count == (row.choice.logprobs?.count ?? 0))
                    #expect(v["target_token_ids"]?.arrayValue?.count == (row.choice.logprobs?.count ?? 0))
                    #expect(v["temperature"]?.doubleValue == row.params.temperature)
                }
            default:
                break
            }
        }
    }

    @Test(arguments: ["openai", "sharegpt", "alpaca", "trl"])
    func withLogprobsAddsOneTopLevelKey(name: String) throws {
        let format = try #require(ExportFormats.named(name))
        for v in try Self.exportAndRead(format, ExportOptions(withLogprobs: true, reasoning: .drop)) {
            let lp = try #require(v["logprobs"])
            #expect(Shape.oneOf([Self.openAILogprobs, .null]).problems(lp) == [])
            #expect(v.objectValue?.last?.0 == "logprobs")
        }
    }

    @Test func shapeCatchesExtraMissingAndWrongTypes() throws {
        let shape = Shape.object([("a", .string), ("b", .int)], optional: ["b"])
        #expect(shape.problems(try JSONValue.parse(#"{"a":"x"}"#)) == [])
        #expect(shape.problems(try JSONValue.parse(#"{"a":"x","c":1}"#)) == ["$: extra key c"])
        #expect(shape.problems(try JSONValue.parse(#"{"b":1}"#)) == ["$: missing key a"])
        #expect(shape.problems(try JSONValue.parse(#"{"a":"x","b":1.5}"#)) == ["$.b: not an integer"])
    }

    @Test func kdLegacyTokenKeysAreIdsAndRowsWithoutIdsAreRefused() throws {
        let values = try Self.exportAndRead(KDFormat(shape: .legacy))
        #expect(values.count == 1, "the multi-turn row has logprobs without ids: refused")
        for v in values { #expect(Shape.object([("messages", .array(.oneOf([Self.message, Self.assistantField]))),
                                                ("logprobs", .array(.array(Self.kdEntry))),
                                                ("temperature", .oneOf([.number, .null]))]).problems(v) == []) }
        let withIds = try #require(values[0]["logprobs"]?.arrayValue)
        #expect(withIds[0].arrayValue?.compactMap { $0["token"]?.stringValue } == ["token_id:9642", "token_id:2822"])
        #expect(withIds[1].arrayValue?.compactMap { $0["token"]?.stringValue } == ["token_id:13"])
    }
}
