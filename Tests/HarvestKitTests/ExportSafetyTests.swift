import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// #10 item 2 and 9, #11 items 6 and 10, on a real store filled by a real sweep against the loopback mock.
@Suite(.serialized) struct ExportSafetyTests {
    @Test func exporterRefusesTheDatabaseItReadsAndLeavesItIntact() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 5, samples: 1)
        let before = try store.counts()
        let exporter = Exporter(store: store)
        for target in [store.path, store.path + "-wal", store.path + "-shm"] {
            let plan = ExportPlan(format: RawFormat(), output: .file(target))
            #expect {
                _ = try exporter.export(ExportSelection(setName: "s"), plan: plan)
            } throws: { error in
                guard case .unsafeTarget(let path, let why) = error as? ExportError else { return false }
                return path == target && why.contains("a file of the database this export reads")
            }
        }
        #expect(try store.counts() == before)
        #expect(try SQLiteStore(path: store.path).counts() == before)
    }

    @Test func aStopRequestAbandonsTheExportAndLeavesNothing() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 5, samples: 1)
        let stop = StopSignal()
        stop.request(.drain, reason: "test")
        for output in [ExportOutput.file(dir.path("a.jsonl")), .directory(dir.path("folder"))] {
            let plan = ExportPlan(format: OpenAIChatFormat(), output: output, split: output == .file(dir.path("a.jsonl")) ? nil : try SplitSpec(parsing: "train=0.5,val=0.5"))
            #expect(throws: ExportError.interrupted) {
                _ = try Exporter(store: store).export(ExportSelection(setName: "s"), plan: plan, stop: stop)
            }
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { !$0.hasPrefix("x.sqlite") && $0 != "r.jsonl" }
        #expect(left == [])
        // Not stopped: the same export completes.
        let summary = try Exporter(store: store).export(ExportSelection(setName: "s"), plan: ExportPlan(format: OpenAIChatFormat(), output: .file(dir.path("a.jsonl"))),
                                                       stop: StopSignal())
        #expect(summary.rows == 5)
    }

    @Test func gzipSummaryCountsBytesOnDisk() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 20, samples: 2)
        let plan = ExportPlan(format: ShareGPTFormat(), options: ExportOptions(withLogprobs: true), output: .file(dir.path("z.jsonl.gz")), gzip: true)
        let summary = try Exporter(store: store).export(ExportSelection(setName: "s"), plan: plan)
        let onDisk = try FileManager.default.attributesOfItem(atPath: dir.path("z.jsonl.gz"))[.size] as? Int
        #expect(summary.bytes == onDisk)
        #expect(summary.uncompressedBytes > summary.bytes)
    }

    @Test func inspectJSONShowsTheExternalId() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await ExporterTests.harvested(dir, prompts: 3, samples: 1)
        let rows = try store.responses(query: ResponseQuery(setName: "s", limit: 10, includeLogprobs: false))
        #expect(rows.count == 3)
        for row in rows {
            let inspection = try #require(try ResponseInspection.load(store: store, id: row.id))
            let json = try JSONValue.parse(inspection.json())
            #expect(json["external_id"]?.stringValue == row.externalId)
            #expect(json["external_id"]?.stringValue?.hasPrefix("p") == true)
            #expect(json["sets"]?.jsonString == #"[{"set":"s","external_id":"\#(row.externalId ?? "?")"}]"#)
        }
    }
}
