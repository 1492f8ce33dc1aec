import Foundation
import HarvestCore
import HarvestCurate
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// Curation over real temporary stores filled through the store's own write path.
@Suite(.serialized) struct CuratorTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")

    /// Adds prompts `first..<first+answers.count` to set "s" and answers them with `answers` (one sample each).
    static func add(_ store: SQLiteStore, first: Int, answers: [String]) async throws {
        let inputs = answers.indices.map { i in
            PromptInput(externalId: "p\(first + i)", messages: [ChatMessage(role: "user", content: "distinct question number \(first + i) about topic \(first + i)")],
                        source: InputLocation(file: "gen", line: first + i + 1))
        }
        _ = try store.importPrompts(setName: "s", prompts: inputs, sourceName: "gen")
        let sweep = try store.createSweep(name: "w", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: 1)
        let jobs = try await store.claimJobs(sweepId: sweep.sweepId, owner: "t", limit: 1000, leaseSeconds: 60)
        for job in jobs.sorted(by: { $0.promptId < $1.promptId }) {
            guard let text = job.messages.first?.content, let n = Int(text.split(separator: " ")[3]) else { continue }
            let choice = CompletionChoice(index: 0, content: answers[n - first], finishReason: "stop")
            try await store.commitSuccess(AttemptRecord(jobId: job.id, startedAt: 1, latencyMs: 1, httpStatus: 200, outcome: .success),
                                          response: ResponseRecord(jobId: job.id, choice: choice, usage: Usage(completionTokens: 10), receivedAt: 2))
        }
    }

    static func answer(_ i: Int) -> String {
        "answer \(i): the quick brown fox number \(i) jumps over lazy dog \(i * 7) while counting sheep \(i * 13) in field \(i * 31)"
    }

    static func config(_ spec: CurationSpec = CurationSpec()) throws -> CurationConfig { try spec.makeConfig() }

    @Test func incrementalRunMarksOnlyTheNewDuplicate() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try SQLiteStore(path: dir.path("c.sqlite"))
        defer { store.close() }
        try await Self.add(store, first: 0, answers: (0..<5).map(Self.answer))
        let curator = Curator(store: store, pageSize: 2)
        let first = try curator.run(setName: "s", config: Self.config())
        #expect(first.responses == 5 && first.examined == 5 && first.dropped == 0)

        try await Self.add(store, first: 5, answers: [Self.answer(2), Self.answer(5)])
        let second = try curator.run(setName: "s", config: Self.config())
        #expect(second.examined == 2)
        #expect(second.newMarks == ["dedup.exact": 1])
        #expect(second.dropped == 1 && second.kept == 6)
        let ids = try store.responses(query: ResponseQuery(setName: "s", limit: 100, includeLogprobs: false)).map(\.id)
        let marked = ids.filter { (try? store.marks(responseId: $0).isEmpty) == false }
        #expect(marked.count == 1)
        let mark = try #require(try store.marks(responseId: marked[0]).first)
        #expect(mark.stage == "dedup.exact" && mark.reason.contains("exact duplicate of response \(ids[2])"))
        #expect(ids.firstIndex(of: marked[0]) == 5, "the new copy is marked, not the old one")

        let third = try curator.run(setName: "s", config: Self.config())
        #expect(third.examined == 0 && third.newMarks.isEmpty && third.dropped == 1)
    }

    @Test func changedParametersReplaceThatStagesMarks() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try SQLiteStore(path: dir.path("c.sqlite"))
        defer { store.close() }
        try await Self.add(store, first: 0, answers: ["short", Self.answer(1), Self.answer(2)])
        var spec = CurationSpec()
        spec.maxChars = 20
        let curator = Curator(store: store)
        let a = try curator.run(setName: "s", config: Self.config(spec))
        #expect(a.newMarks == ["filter.length": 2])
        spec.maxChars = 1000
        spec.minChars = 10
        let b = try curator.run(setName: "s", config: Self.config(spec))
        #expect(b.removedMarks == ["filter.length": 2])
        #expect(b.newMarks == ["filter.length": 1])
        #expect(try store.curationCounts(setName: "s") == ["filter.length": 1])
        // Leaving the filter out removes its marks; dedup stages are untouched (no new rows).
        let c = try curator.run(setName: "s", config: Self.config())
        #expect(c.removedMarks == ["filter.length": 1] && c.examined == 0)
        #expect(try store.curationCounts(setName: "s").isEmpty)
    }

    @Test func dryRunWritesNothing() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try SQLiteStore(path: dir.path("c.sqlite"))
        defer { store.close() }
        try await Self.add(store, first: 0, answers: [Self.answer(1), Self.answer(1), "x"])
        var spec = CurationSpec()
        spec.minChars = 5
        let dry = try Curator(store: store).run(setName: "s", config: Self.config(spec), dryRun: true)
        #expect(dry.newMarks == ["dedup.exact": 1, "filter.length": 1] && dry.runId == nil)
        #expect(try store.curationCounts(setName: "s").isEmpty)
        #expect(try store.curationProgress(setName: "s").isEmpty)
        let real = try Curator(store: store).run(setName: "s", config: Self.config(spec))
        #expect(real.newMarks == dry.newMarks && real.dropped == dry.dropped && real.runId != nil)
    }

    @Test func exportSkipsMarkedRowsUnlessIncludeDropped() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try SQLiteStore(path: dir.path("c.sqlite"))
        defer { store.close() }
        try await Self.add(store, first: 0, answers: [Self.answer(1), Self.answer(1), Self.answer(3), "tiny"])
        var spec = CurationSpec()
        spec.minChars = 10
        _ = try Curator(store: store).run(setName: "s", config: Self.config(spec))
        let exporter = Exporter(store: store)
        let kept = try exporter.export(ExportSelection(setName: "s"), format: RawFormat(), options: ExportOptions(), to: dir.path("k.jsonl"))
        #expect(kept.rows == 2)
        let manifest = try JSONValue.parse(try String(contentsOfFile: dir.path("k.jsonl.manifest.json"), encoding: .utf8))
        #expect(manifest["curation"]?["dedup.exact"]?.intValue == 1)
        #expect(manifest["curation"]?["filter.length"]?.intValue == 1)
        let all = try exporter.export(ExportSelection(setName: "s", includeDropped: true), format: RawFormat(), options: ExportOptions(),
                                      to: dir.path("a.jsonl"))
        #expect(all.rows == 4)
        let first = try exporter.export(ExportSelection(setName: "s", samples: .first), format: RawFormat(), options: ExportOptions(),
                                        to: dir.path("f.jsonl"))
        #expect(first.rows == 2)
    }

    @Test func malformedConfigNamesTheKey() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try dir.write("c.json", "{\"filters\": {\"max_chars\": \"ten\"}}")
        #expect(throws: CurationError.self) { try CurationSpec.load(path: path) }
        do { _ = try CurationSpec.load(path: path) } catch { #expect(error.description.contains("filters.max_chars")) }
        let ok = try dir.write("ok.json", "{\"exact\": {\"target\": \"responses\"}, \"near\": false, \"filters\": {\"refusals\": true, \"max_chars\": 100}}")
        let spec = try CurationSpec.load(path: ok)
        #expect(spec.exactTarget == .response && spec.nearThreshold == nil && spec.refusals && spec.maxChars == 100)
    }
}
