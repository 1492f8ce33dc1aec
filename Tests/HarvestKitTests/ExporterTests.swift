import CurlTransport
import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// Exports from a real store filled by a real sweep against the loopback mock.
@Suite(.serialized) struct ExporterTests {
    /// A store with `prompts` prompts × `samples` samples harvested (top-3 logprobs) into set "s".
    static func harvested(_ dir: TempDir, prompts: Int, samples: Int, firstPrompt: Int = 0,
                          store existing: SQLiteStore? = nil, tokenIds: Bool = false, setName: String = "s") async throws -> SQLiteStore {
        let mock = MockTeacherServer(MockTeacherConfiguration())
        let port = try mock.start()
        defer { mock.stop() }
        let store = try existing ?? SQLiteStore(path: dir.path("x.sqlite"))
        let inputs = (firstPrompt..<(firstPrompt + prompts)).map { i in
            PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: "prompt \(i)")],
                        source: InputLocation(file: "gen", line: i + 1))
        }
        _ = try store.importPrompts(setName: setName, prompts: inputs, sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher", name: "mock")
        var params = SamplingParams(maxTokens: 6, temperature: 1, seed: 3, topLogprobs: 3)
        params.tokenIds = tokenIds
        let sweep = try store.createSweep(name: setName, setName: setName, teacher: teacher, params: params, samples: samples)
        let (pipeline, runner) = try pipelineRunner(store: store, url: teacher.baseURL, maxInFlight: 8, rescuePath: dir.path("r.jsonl"))
        defer { pipeline.shutdown() }
        _ = try await runner.run(sweepId: sweep.sweepId)
        return store
    }

    static func lines(_ path: String) throws -> [JSONValue] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }

    @Test func incrementalExportTwiceIsEmptyThenHoldsExactlyTheNewRows() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.harvested(dir, prompts: 10, samples: 1)
        let exporter = Exporter(store: store)
        func run(_ file: String) throws -> Exporter.Summary {
            let plan = ExportPlan(format: OpenAIChatFormat(), output: .file(dir.path(file)), name: "nightly")
            return try exporter.export(ExportSelection(setName: "s"), plan: plan, incrementalName: "nightly")
        }
        #expect(try run("a.jsonl").rows == 10)
        #expect(try run("b.jsonl").rows == 0)
        _ = try await Self.harvested(dir, prompts: 4, samples: 1, firstPrompt: 10, store: store)
        #expect(try run("c.jsonl").rows == 4)
        let users = try Self.lines(dir.path("c.jsonl")).compactMap { $0["messages"]?.arrayValue?.first?["content"]?.stringValue }
        #expect(Set(users) == Set((10..<14).map { "prompt \($0)" }))
    }

    @Test func samplePoliciesKeepOneRowPerPrompt() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.harvested(dir, prompts: 6, samples: 3)
        let exporter = Exporter(store: store)
        let all = try exporter.export(ExportSelection(setName: "s"), format: RawFormat(), options: ExportOptions(), to: dir.path("all.jsonl"))
        #expect(all.rows == 18)
        _ = try exporter.export(ExportSelection(setName: "s", samples: .first), format: RawFormat(), options: ExportOptions(), to: dir.path("first.jsonl"))
        let first = try Self.lines(dir.path("first.jsonl"))
        #expect(first.count == 6)
        #expect(first.allSatisfy { $0["sample_index"]?.intValue == 0 })
        _ = try exporter.export(ExportSelection(setName: "s", samples: .best), format: RawFormat(), options: ExportOptions(), to: dir.path("best.jsonl"))
        let best = try Self.lines(dir.path("best.jsonl"))
        #expect(best.count == 6)
        // Each kept row has the highest mean logprob among its prompt's samples.
        let rows = try Self.lines(dir.path("all.jsonl"))
        func mean(_ row: JSONValue) -> Double {
            let lps = row["logprobs"]?.arrayValue?.compactMap { $0["logprob"]?.doubleValue } ?? []
            return lps.reduce(0, +) / Double(max(1, lps.count))
        }
        for row in best {
            let hash = row["prompt_hash"]?.stringValue
            let others = rows.filter { $0["prompt_hash"]?.stringValue == hash }
            #expect(others.count == 3)
            #expect(others.allSatisfy { mean($0) <= mean(row) + 1e-12 })
        }
    }

    @Test func splitsShardsAndManifestFromTheStore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.harvested(dir, prompts: 40, samples: 2, tokenIds: true)
        let out = dir.path("corpus")
        let plan = ExportPlan(format: KDFormat(), output: .directory(out), split: try SplitSpec(parsing: "train=0.75,val=0.25"),
                              shards: ShardLimits(maxRows: 20), gzip: true)
        let summary = try Exporter(store: store).export(ExportSelection(setName: "s"), plan: plan)
        #expect(summary.rows == 80)
        let manifest = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out + ".manifest.json"))))
        let files = try #require(manifest["files"]?.arrayValue)
        #expect(files.compactMap { $0["rows"]?.intValue }.reduce(0, +) == 80)
        #expect(files.allSatisfy { ($0["rows"]?.intValue ?? 99) <= 20 })
        #expect(files.allSatisfy { $0["path"]?.stringValue?.hasSuffix(".jsonl.gz") == true })
    }

    @Test func minMeanLogprobAndSinceFilter() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.harvested(dir, prompts: 10, samples: 1)
        let exporter = Exporter(store: store)
        let none = try exporter.export(ExportSelection(setName: "s", minMeanLogprob: 0.5), format: OpenAIChatFormat(),
                                       options: ExportOptions(), to: dir.path("none.jsonl"))
        #expect(none.rows == 0, "no mean logprob is positive")
        let future = try exporter.export(ExportSelection(setName: "s", since: 4_000_000_000), format: OpenAIChatFormat(),
                                         options: ExportOptions(), to: dir.path("future.jsonl"))
        #expect(future.rows == 0)
        #expect(ExportSelection.parseSince("2026-11-30") == 1_795_996_800)
        #expect(ExportSelection.parseSince("1994-11-06T08:49:37Z") == 784_111_777)
        #expect(ExportSelection.parseSince("yesterday") == nil)
    }
}
