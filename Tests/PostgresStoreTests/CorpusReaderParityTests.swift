import Foundation
import HarvestCore
import HarvestExport
import HarvestKit
import PostgresStore
import SQLiteStore
import Testing

/// The read path on both backends: the same harvest in SQLite and PostgreSQL exports byte-identical files in every
/// format and gives the same `inspect` and `stats` output (docs/OPERATIONS.md, *PostgreSQL*).
@Suite(.serialized) struct CorpusReaderParityTests {
    /// One export of both stores: every data file byte for byte, and the manifests apart from their creation time.
    static func exportBoth(_ twin: TwinHarvest, _ name: String, _ selection: ExportSelection, _ plan: (String) -> ExportPlan,
                           incremental: String? = nil) throws -> (Exporter.Summary, Exporter.Summary) {
        let base = twin.dir.appendingPathComponent(name)
        let a = try Exporter(store: twin.sqlite).export(selection, plan: plan(base.path + "-sqlite"), incrementalName: incremental)
        let b = try Exporter(store: twin.postgres).export(selection, plan: plan(base.path + "-postgres"), incrementalName: incremental)
        var left = a, right = b
        left.manifestPath = nil
        right.manifestPath = nil
        #expect(left == right, "\(name): summaries")
        for (left, right) in try Self.files(base.path + "-sqlite", base.path + "-postgres") {
            let x = try Data(contentsOf: URL(fileURLWithPath: left)), y = try Data(contentsOf: URL(fileURLWithPath: right))
            if left.hasSuffix(".manifest.json") {
                #expect(Self.withoutTime(x) == Self.withoutTime(y), "\(name): \(left)")
            } else {
                #expect(x == y, "\(name): \(left) differs from \(right)")
            }
        }
        return (a, b)
    }

    /// The output paths of both exports, paired (a file or a folder, and the manifest beside it).
    static func files(_ left: String, _ right: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: left, isDirectory: &isDir), isDir.boolValue {
            let names = try fm.contentsOfDirectory(atPath: left).sorted()
            #expect(names == (try fm.contentsOfDirectory(atPath: right).sorted()))
            #expect(!names.isEmpty)
            out += names.map { (left + "/" + $0, right + "/" + $0) }
        } else {
            out.append((left, right))
        }
        out.append((left + ".manifest.json", right + ".manifest.json"))
        return out
    }

    /// A manifest without its `created_at` value and the output paths' folder (the two exports differ there only).
    static func withoutTime(_ data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        return text.replacingOccurrences(of: #""created_at"\s*:\s*"[^"]*""#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "-sqlite", with: "").replacingOccurrences(of: "-postgres", with: "")
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func everyFormatExportsTheSameBytesFromBothBackends() async throws {
        let twin = try await TwinHarvest()
        defer { twin.cleanup() }
        let file = { (format: any ExportFormat, options: ExportOptions) in { (path: String) in ExportPlan(format: format, options: options, output: .file(path)) } }
        let all = ExportSelection(setName: "s")
        for format in ExportFormats.all where format.name != "kd" {
            let (rows, _) = try Self.exportBoth(twin, format.name, all, file(format, ExportOptions()))
            #expect(rows.rows == 18, "\(format.name): 24 answers to prompts of set s (B's included), 6 of them marked (3 by a wrong/no_answer verdict only)")
            _ = try Self.exportBoth(twin, format.name + "-lp", ExportSelection(), file(format, ExportOptions(withLogprobs: true)))
        }
        _ = try Self.exportBoth(twin, "raw-dropped", ExportSelection(setName: "s", includeDropped: true),
                                file(RawFormat(), ExportOptions(withLogprobs: true)))
        _ = try Self.exportBoth(twin, "sweep-b", ExportSelection(sweepId: twin.sweepB), file(RawFormat(), ExportOptions(withLogprobs: true)))
        _ = try Self.exportBoth(twin, "teacher-beta", ExportSelection(teacher: "beta"), file(ShareGPTFormat(), ExportOptions()))
        // kd: B's answers have no token ids (refused and counted alike); split and shard folders, gzip, both shapes.
        let kd = { (shape: KDShape) in { (path: String) in
            ExportPlan(format: KDFormat(shape: shape, closingTokenIds: shape == .current ? [2, 198] : []), output: .directory(path),
                       split: try! SplitSpec(parsing: "train=0.7,val=0.3"), shards: ShardLimits(maxRows: 4), gzip: true)
        } }
        let (current, _) = try Self.exportBoth(twin, "kd-current", ExportSelection(), kd(.current))
        #expect(current.rows > 0 && !current.skipped.isEmpty)
        _ = try Self.exportBoth(twin, "kd-legacy", ExportSelection(setName: "s"), kd(.legacy))
        // Samples, verdicts and pass rates.
        var best = ExportSelection(setName: "s", samples: .best)
        _ = try Self.exportBoth(twin, "best", best, file(RawFormat(), ExportOptions()))
        best.bestBy = .shortest
        _ = try Self.exportBoth(twin, "best-shortest", best, file(RawFormat(), ExportOptions()))
        _ = try Self.exportBoth(twin, "first", ExportSelection(setName: "s", samples: .first), file(OpenAIChatFormat(), ExportOptions()))
        var band = ExportSelection(setName: "s")
        band.minPassRate = 0.5
        _ = try Self.exportBoth(twin, "pass-rate", band, file(RawFormat(), ExportOptions()))
        _ = try Self.exportBoth(twin, "mean-lp", ExportSelection(setName: "s", minMeanLogprob: -2), file(TRLFormat(), ExportOptions()))
        // Incremental: the same rows, then none on either backend.
        _ = try Self.exportBoth(twin, "inc-1", all, file(OpenAIChatFormat(), ExportOptions()), incremental: "nightly")
        let (again, _) = try Self.exportBoth(twin, "inc-2", all, file(OpenAIChatFormat(), ExportOptions()), incremental: "nightly")
        #expect(again.rows == 0)
        #expect(try twin.postgres.metaValue("export.watermark.nightly") == (try twin.sqlite.metaValue("export.watermark.nightly")))
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func inspectAndStatsMatchOnBothBackends() async throws {
        let twin = try await TwinHarvest()
        defer { twin.cleanup() }
        #expect(twin.responseIds.count == 24)
        for id in twin.responseIds + [999] {
            let a = try ResponseInspection.load(store: twin.sqlite, id: id)
            let b = try ResponseInspection.load(store: twin.postgres, id: id)
            #expect(a?.json() == b?.json(), "inspect \(id) --json")
            #expect(a?.text(maxTokens: 3) == b?.text(maxTokens: 3), "inspect \(id)")
            #expect((a == nil) == (id == 999))
        }
        for set in ["s", "t"] {
            let a = try SetStats.compute(store: twin.sqlite, setName: set, pageSize: 5)
            let b = try SetStats.compute(store: twin.postgres, setName: set, pageSize: 5)
            #expect(a == b, "stats \(set)")
            #expect(a.json() == b.json())
            #expect(a.table() == b.table())
        }
        let stats = try SetStats.compute(store: twin.postgres, setName: "s")
        #expect(stats.responses == 24 && stats.dropped == 6
                && stats.drops == ["dedup.exact": 1, "dedup.near": 1, "filter.length": 2, "verify": 4])
        #expect(!stats.verdicts.isEmpty)
        // The prompt listed as q3, a-dup and Z-dup carries its lowest id in byte order.
        let rows = try twin.postgres.responses(query: ResponseQuery(setName: "s", limit: 100, includeLogprobs: false))
        #expect(rows.contains { $0.externalId == "Z-dup" } && !rows.contains { $0.externalId == "a-dup" || $0.externalId == "q3" })
        #expect { try SetStats.compute(store: twin.postgres, setName: "nope") } throws: { error in
            if case StoreError.unknownSet("nope") = error { return true }
            return false
        }
        #expect(try twin.postgres.setExists("t") && !(try twin.postgres.setExists("nope")))
    }
}
