import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// `kd` rows read as flat columns (`StoredResponse.logprobColumns`, the export's read path) are written byte for
/// byte as the same rows read as `TokenLogprob` lists: a mixed set of plain and scored rows, top-k 0, 1, 5 and 20
/// (and ragged), special values (-0.0, subnormals, ±infinity, NaN, -9999), rows lacking ids, empty and absent
/// logprobs, closing ids the completion already ends with; through whole `ExportPipeline`s, manifest included.
@Suite("kd: flat columns write the same bytes as token lists")
struct KDColumnsTests {
    static let specials: [Double] = [-0.0, 0, -Double.leastNonzeroMagnitude, -Double(Float.leastNonzeroMagnitude),
                                     -Double.leastNormalMagnitude, -.infinity, .infinity, .nan, -9999.0, -1e-7, -0.0001,
                                     -1e-5, -1.0, -123456.75, -1e300]

    static func value(_ mix: inout LogprobWriterTests.Mix) -> Double {
        switch mix.below(6) {
        case 0: return specials[mix.below(specials.count)]
        case 1: return Double(bitPattern: mix.next())
        default: return Double(-Float(mix.below(1 << 24)) / Float(1 << mix.below(30)))
        }
    }

    /// A plain (sampled) row with `count` positions of `k` alternatives (ragged when `k` is nil); ids on every
    /// entry unless `missingId`; ends on closing ids 2, 198 (both, one, or none).
    static func row(_ mix: inout LogprobWriterTests.Mix, id: Int64, count: Int, k: Int?, missingId: Bool) -> StoredResponse {
        var tokens: [TokenLogprob] = (0..<count).map { _ in
            let n = k ?? mix.below(22)
            let top = (0..<n).map { _ in TopLogprob(token: "t", logprob: value(&mix), bytes: [116], tokenId: mix.below(152_064)) }
            if !top.isEmpty, mix.below(2) == 0 {
                let s = top[mix.below(top.count)]
                return TokenLogprob(token: s.token, logprob: s.logprob, bytes: s.bytes, tokenId: s.tokenId, top: top)
            }
            return TokenLogprob(token: "s", logprob: value(&mix), tokenId: mix.below(3) == 0 ? -mix.below(5) : mix.below(1 << 40), top: top)
        }
        switch mix.below(3) {
        case 0 where tokens.count >= 2: tokens[tokens.count - 2].tokenId = 2; tokens[tokens.count - 1].tokenId = 198
        case 1 where !tokens.isEmpty: tokens[tokens.count - 1].tokenId = 2
        default: break
        }
        if missingId, !tokens.isEmpty {
            let p = mix.below(tokens.count)
            if tokens[p].top.isEmpty || mix.below(2) == 0 { tokens[p].tokenId = nil } else { tokens[p].top[0].tokenId = nil }
        }
        var r = Fixtures.tokenIds
        r.id = id
        r.promptHash = String(format: "%04x", Int(id))
        r.params = SamplingParams(temperature: mix.below(2) == 0 ? nil : 0.7, topLogprobs: k)
        r.choice.logprobs = tokens
        return r
    }

    /// The mixed set as the store gives it with token lists.
    static func rows() -> [StoredResponse] {
        var mix = LogprobWriterTests.Mix(state: 11)
        var out: [StoredResponse] = []
        var id: Int64 = 1
        for k in [0, 1, 5, 20, nil] {
            for count in [1, 2, 3, 40, 300] {
                out.append(row(&mix, id: id, count: count, k: k, missingId: id % 7 == 0))
                id += 1
            }
        }
        var empty = Fixtures.tokenIds
        empty.id = id; id += 1
        empty.choice.logprobs = []
        var absent = Fixtures.single
        absent.id = id; id += 1
        var scored = KDScoredTests.row()
        scored.id = id; id += 1
        var unaligned = KDScoredTests.row(answer: "London.")
        unaligned.id = id
        return out + [empty, absent, scored, unaligned]
    }

    /// The same rows as the store gives them with flat columns: ids and logprobs through a real `HLP2` blob and
    /// `LogprobCodec.decodeColumns`; scored rows keep their token lists (the store decodes them whole).
    static func columnRows(_ rows: [StoredResponse]) throws -> [StoredResponse] {
        try rows.map { row in
            guard row.params.score == nil, let tokens = row.choice.logprobs else { return row }
            let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
            let ids = try table.keys.map { try LogprobCodec.VocabularyEntry(key: $0).tokenId }
            let blob = table.encode(vocabularyIndex: Array(table.keys.indices))
            let columns = try ids.withUnsafeBufferPointer { try LogprobCodec.decodeColumns(blob, ids: $0) }
            #expect(columns == LogprobColumns(tokens), "row \(row.id)")
            var out = row
            out.choice.logprobs = nil
            out.logprobColumns = columns
            return out
        }
    }

    static func export(_ rows: [StoredResponse], _ format: KDFormat, to dir: String) throws -> (data: [UInt8], manifest: String) {
        let path = dir + "/kd.jsonl"
        let pipeline = try ExportPipeline(plan: ExportPlan(format: format, output: .file(path)), harvestVersion: "test")
        for row in rows { try pipeline.consume(row) }
        let manifest = try pipeline.finish(createdAt: 1_800_000_000)
        var text = manifest.jsonText
        text = text.replacingOccurrences(of: dir, with: "DIR")
        return (Array(try Data(contentsOf: URL(fileURLWithPath: path))), text)
    }

    @Test(arguments: [KDFormat(closingTokenIds: [2, 198]), KDFormat(closingTokenIds: []), KDFormat(closingTokenIds: [198], temperature: 1.5),
                      KDFormat(shape: .legacy)])
    func sameFileAndManifest(format: KDFormat) throws {
        let rows = Self.rows()
        let columns = try Self.columnRows(rows)
        #expect(columns.filter { $0.logprobColumns != nil }.count == 26)
        let a = TempDir("kd-tokens"), b = TempDir("kd-columns")
        defer { a.remove(); b.remove() }
        let tokens = try Self.export(rows, format, to: a.path)
        let flat = try Self.export(columns, format, to: b.path)
        #expect(tokens.data.count > 100_000)
        #expect(tokens.data == flat.data)
        #expect(tokens.manifest == flat.manifest)
        // The set is mixed: rows written, rows refused for missing ids, for lacking logprobs (and scored ones).
        let manifest = try JSONValue.parse(tokens.manifest)
        #expect(manifest["skipped"]?["no_token_ids"]?.intValue ?? 0 >= 3)
        #expect(manifest["skipped"]?["no_logprobs"]?.intValue == 2)
    }

    @Test func mixedTopKAndClosingOverlapMatchTheTokenHelpers() throws {
        let rows = Self.rows()
        for (row, flat) in zip(rows, try Self.columnRows(rows)) {
            guard let columns = flat.logprobColumns, let tokens = row.choice.logprobs else { continue }
            #expect(columns.uniformK == KDFormat.uniformK(tokens))
            #expect(columns.allHaveIds == KDFormat.hasAllIds(tokens))
            guard columns.allHaveIds else { continue }
            #expect(KDFormat.closingOverlap(columns, closing: [2, 198]) == KDFormat.closingOverlap(tokens, closing: [2, 198]))
            #expect(columns.meanSampledLogprob?.bitPattern == Self.mean(tokens)?.bitPattern)
        }
    }

    static func mean(_ tokens: [TokenLogprob]) -> Double? {
        var sum = 0.0
        var n = 0
        for t in tokens where t.logprob.isFinite && t.logprob > -9999 {
            sum += t.logprob
            n += 1
        }
        return n > 0 ? sum / Double(n) : nil
    }
}
