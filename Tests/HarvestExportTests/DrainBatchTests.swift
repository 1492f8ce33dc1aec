import Foundation
import HarvestCore
import HarvestExport
import Testing

/// `ExportPipeline.drain` serializes rows in batches on several threads; every file it writes (splits, shards,
/// manifest) must be byte for byte what `consume` writes one row at a time, for batch-boundary row counts and a
/// mixed set of rows (plain, `kd` from token lists and from flat columns, scored, refused).
@Suite("drain: batched serialization writes what consume writes")
struct DrainBatchTests {
    /// Every file under `dir` (relative name → bytes), with `dir` replaced in the manifests.
    static func files(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let names = try FileManager.default.subpathsOfDirectory(atPath: dir)
        for name in names {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), !isDir.boolValue else { continue }
            var data = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            if name.hasSuffix(".manifest.json") {
                data = Array(String(decoding: data, as: UTF8.self).replacingOccurrences(of: dir, with: "DIR").utf8)
            }
            out[name] = data
        }
        return out
    }

    /// Exports `rows` under a fresh folder, one by one (`consume`) or through `drain`; returns its files.
    static func export(_ rows: [StoredResponse], _ plan: (String) -> ExportPlan, batched: Bool) throws -> [String: [UInt8]] {
        let dir = TempDir(batched ? "drain" : "consume")
        defer { dir.remove() }
        let pipeline = try ExportPipeline(plan: plan(dir.path), harvestVersion: "test")
        if batched {
            var left = rows[...]
            try pipeline.drain { left.popFirst() }
        } else {
            for row in rows { try pipeline.consume(row) }
        }
        #expect(pipeline.rows <= rows.count)
        _ = try pipeline.finish(createdAt: 1_800_000_000)
        return try files(dir.path)
    }

    static func mixedRows() throws -> [StoredResponse] {
        let tokens = KDColumnsTests.rows()
        let columns = try KDColumnsTests.columnRows(tokens)
        var all = tokens + columns + syntheticRows(40, startId: 1_000)
        for i in all.indices { all[i].id = Int64(i + 1) }
        return all
    }

    @Test(arguments: [0, 1, 31, 32, 33, 65])
    func batchBoundaries(count: Int) throws {
        let rows = Array(try Self.mixedRows().prefix(count))
        let plan = { (dir: String) in ExportPlan(format: KDFormat(closingTokenIds: [2, 198]), output: .file(dir + "/kd.jsonl")) }
        let one = try Self.export(rows, plan, batched: false)
        let batched = try Self.export(rows, plan, batched: true)
        #expect(one.keys.sorted() == batched.keys.sorted())
        for (name, bytes) in one { #expect(batched[name] == bytes, "\(name) differs for \(count) rows") }
    }

    /// Many batches in flight at once (2,000 rows: 63 batches, more than the serializer keeps in flight), rows of
    /// very different sizes so that later batches often finish first: lines still come out in row order.
    @Test func manyBatchesOfUnevenRowsKeepTheirOrder() throws {
        var rows = syntheticRows(2_000)
        for i in rows.indices where i % 97 < 3 {
            rows[i].choice.content = String(repeating: "long answer \(i) ", count: 2_000)
        }
        let plan = { (dir: String) in ExportPlan(format: OpenAIChatFormat(), output: .file(dir + "/many.jsonl")) }
        let one = try Self.export(rows, plan, batched: false)
        let batched = try Self.export(rows, plan, batched: true)
        #expect(one["many.jsonl"]?.count ?? 0 > 2_000 * 200)
        let same = one == batched   // compared apart: a failure would print megabytes of bytes
        #expect(same, "drain wrote other bytes than consume")
    }

    @Test func everyFormatWithSplitsAndShards() throws {
        let rows = try Self.mixedRows()
        let split = try SplitSpec(parsing: "train=0.8,val=0.2")
        let formats: [any ExportFormat] = [KDFormat(closingTokenIds: [2, 198]), KDFormat(shape: .legacy), OpenAIChatFormat(),
                                           RawFormat()]
        for format in formats {
            for options in [ExportOptions(), ExportOptions(withLogprobs: true)] {
                let plan = { (dir: String) in
                    ExportPlan(format: format, options: options, output: .directory(dir + "/out"), split: split,
                               shards: ShardLimits(maxRows: 7))
                }
                let one = try Self.export(rows, plan, batched: false)
                let batched = try Self.export(rows, plan, batched: true)
                #expect(one.count > 3, "\(format.name): \(one.keys.sorted())")
                #expect(one.keys.sorted() == batched.keys.sorted(), "\(format.name)")
                for (name, bytes) in one { #expect(batched[name] == bytes, "\(format.name) \(name)") }
            }
        }
    }
}
