import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// `kd` exports from a real store filled by real sweeps against the loopback mock: one set asked with token ids,
/// one without (as OpenAI or DeepSeek answer).
@Suite(.serialized) struct KDExportTests {
    @Test func currentShapeFromTheStoreRefusesRowsWithoutIdsWithACount() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 12, samples: 1, tokenIds: true, setName: "ids")
        _ = try await ExporterTests.harvested(dir, prompts: 5, samples: 1, firstPrompt: 100, store: store, setName: "text")
        let exporter = Exporter(store: store)
        let plan = ExportPlan(format: KDFormat(closingTokenIds: [99_999]), output: .file(dir.path("kd.jsonl")))
        let summary = try exporter.export(ExportSelection(), plan: plan)
        #expect(summary.rows == 12)
        #expect(summary.skipped == ["no_token_ids": 5])
        #expect(summary.teachersWithoutIds == ["mock-teacher"])
        let manifest = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir.path("kd.jsonl.manifest.json")))))
        #expect(manifest["skipped"]?.jsonString == #"{"no_token_ids":5}"#)
        #expect(manifest["logprobs"]?["token_ids"]?.jsonString == #"{"rows_with_ids":12,"rows_without_ids":0,"teachers_without_ids":["mock-teacher"]}"#)
        #expect(manifest["provenance"]?["kd"]?["top_k"]?.jsonString == "[3]")
        #expect(manifest["provenance"]?["kd"]?["temperature"]?.doubleValue == 1)

        // The same rows through `raw`: every position's ids and logprobs are the teacher's, in its order, bit-exact,
        // followed by the closing token.
        _ = try exporter.export(ExportSelection(setName: "ids"), format: RawFormat(), options: ExportOptions(), to: dir.path("raw.jsonl"))
        let kd = try ExporterTests.lines(dir.path("kd.jsonl"))
        let raw = try ExporterTests.lines(dir.path("raw.jsonl"))
        #expect(kd.count == raw.count)
        for (k, r) in zip(kd, raw) {
            let positions = try #require(r["logprobs"]?.arrayValue)
            let ids = try #require(k["target_token_ids"]?.arrayValue)
            let lps = try #require(k["logprobs"]?.arrayValue)
            #expect(ids.count == positions.count + 1 && lps.count == positions.count + 1)
            for (i, p) in positions.enumerated() {
                let top = p["top_logprobs"]?.arrayValue ?? []
                #expect(ids[i].arrayValue == top.prefix(3).compactMap { $0["token_id"] }, "row \(r["id"]?.intValue ?? -1) position \(i)")
                #expect(lps[i].arrayValue?.compactMap { $0.doubleValue.map(\.bitPattern) } == top.prefix(3).compactMap { $0["logprob"]?.doubleValue?.bitPattern })
            }
            #expect(ids.last?.jsonString == "[99999,99999,99999]")
        }
    }

    /// The export reads `kd` rows as flat columns; the file is byte for byte what the same rows read as token lists
    /// (the path before columns) give, current and legacy shapes, rows lacking ids refused alike.
    @Test func columnsFromTheStoreWriteTheSameBytesAsTokenLists() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 16, samples: 2, tokenIds: true, setName: "ids")
        _ = try await ExporterTests.harvested(dir, prompts: 4, samples: 1, firstPrompt: 100, store: store, setName: "text")
        var query = ResponseQuery(limit: 10_000, includeLogprobs: true)
        query.logprobTexts = false
        let tokenRows = try store.responses(query: query)
        query.logprobColumns = true
        let columnRows = try store.responses(query: query)
        #expect(tokenRows.count == 36 && columnRows.count == 36)
        #expect(tokenRows.allSatisfy { $0.logprobColumns == nil && $0.choice.logprobs != nil })
        #expect(columnRows.allSatisfy { $0.logprobColumns != nil && $0.choice.logprobs == nil })
        for format in [KDFormat(closingTokenIds: [2, 198]), KDFormat(shape: .legacy)] {
            let fast = dir.path("fast-\(format.shape).jsonl"), slow = dir.path("slow-\(format.shape).jsonl")
            let summary = try Exporter(store: store).export(ExportSelection(), plan: ExportPlan(format: format, output: .file(fast)))
            let pipeline = try ExportPipeline(plan: ExportPlan(format: format, output: .file(slow)), harvestVersion: "0.1.0")
            for row in tokenRows { try pipeline.consume(row) }
            _ = try pipeline.finish()
            #expect(summary.rows == 32 && pipeline.rows == 32)
            #expect(summary.skipped == pipeline.skipped && summary.skipped == ["no_token_ids": 4])
            let a = try Data(contentsOf: URL(fileURLWithPath: fast)), b = try Data(contentsOf: URL(fileURLWithPath: slow))
            #expect(a.count > 10_000)
            #expect(a == b)
        }
    }
}
