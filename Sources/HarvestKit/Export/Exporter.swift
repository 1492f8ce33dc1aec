import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestStore

/// Streams stored responses into an export (one file, a folder of splits/shards, or stdout) page by page (read one
/// page ahead on a second thread, ``PagePrefetcher``, through the store's ``CorpusReader/openResponsePages(query:)``:
/// keyset pages on SQLite, a server-side cursor on PostgreSQL), so memory stays flat; files and the manifest appear
/// atomically. Incremental exports remember, per export name, the highest response id written (`meta` key
/// `export.watermark.<name>`), set only after the files are in place; they stop at the store's
/// ``CorpusReader/settledResponseId()``, so an answer committed later with a lower id is not skipped.
/// Responses with curation marks are left out (unless ``ExportSelection/includeDropped``); the manifest's
/// `curation` object counts the marks by stage over the set (or the whole database without a set).
public struct Exporter: Sendable {
    /// Counts of a finished export.
    public struct Summary: Sendable, Equatable {
        /// Rows written.
        public var rows: Int
        /// Bytes on disk (compressed size with gzip).
        public var bytes: Int
        /// JSONL bytes before compression (equal to ``bytes`` without gzip).
        public var uncompressedBytes: Int
        /// Rows left out by the format (e.g. `kd` without logprobs), by reason.
        public var skipped: [String: Int]
        /// Where the manifest went (nil for stdout).
        public var manifestPath: String?
        /// Leftovers of a killed export removed from the target folder first.
        public var repaired: [String] = []
        /// Teacher models whose rows lack token ids (refused by `kd`, see the manifest's `logprobs.token_ids`).
        public var teachersWithoutIds: [String] = []
    }

    let store: any CorpusReader

    /// Creates an exporter over `store` (SQLite or PostgreSQL).
    public init(store: any CorpusReader) {
        self.store = store
    }

    /// Single-file convenience: writes every selected row of `format` to `path` (`-` for stdout).
    public func export(_ selection: ExportSelection, format: any ExportFormat, options: ExportOptions, to path: String,
                       harvestVersion: String = "0.1.0") throws -> Summary {
        let plan = ExportPlan(format: format, options: options, output: ExportOutput.resolve(path, needsDirectory: false))
        return try export(selection, plan: plan, harvestVersion: harvestVersion)
    }

    /// Runs `plan` over the selection. With `incrementalName`, only rows above that name's watermark are taken,
    /// and the watermark moves up after the export is complete. The database's own files are added to the plan's
    /// ``ExportPlan/protectedPaths``. When `stop` is requested (Ctrl-C), the export is abandoned, leaves nothing,
    /// and throws ``ExportError/interrupted``.
    public func export(_ selection: ExportSelection, plan: ExportPlan, incrementalName: String? = nil,
                       harvestVersion: String = "0.1.0", stop: StopSignal? = nil) throws -> Summary {
        var plan = plan
        plan.protectedPaths += store.localFiles.flatMap(ExportTarget.databaseFiles)
        try plan.validate()
        let watermarkKey = incrementalName.map { "export.watermark.\($0)" }
        let start = try watermarkKey.flatMap { try store.metaValue($0) }.flatMap { Int64($0) } ?? 0
        // Rows above the settled id may still be joined by lower ids committed later: an incremental export ends there.
        let settled = watermarkKey == nil ? nil : try store.settledResponseId()
        let needLogprobs = plan.format.loadsLogprobs(plan.options) || selection.minMeanLogprob != nil || selection.samples == .best
        let verified = try VerifiedSelection.load(store: store, selection: selection)
        let chosen = try chosenSamples(selection, verified, after: start, through: settled)
        let pipeline = try ExportPipeline(plan: plan, harvestVersion: harvestVersion)
        var highest = start
        var buffered: [StoredResponse] = []
        var index = 0
        // Rows with decoded logprobs take ~10× their JSON size in memory: small pages keep memory flat.
        let pageSize = needLogprobs ? 32 : 512
        let source = store
        var firstPage = ResponseQuery(setName: selection.setName, sweepId: selection.sweepId, afterId: start, limit: pageSize,
                                      includeLogprobs: needLogprobs, excludeMarked: !selection.includeDropped)
        // Selection by logprobs reads only their values: texts are decoded only when the format writes them.
        firstPage.logprobTexts = plan.format.needsLogprobTexts && plan.format.loadsLogprobs(plan.options)
        // A format that writes ids and logprobs only (`kd`) reads them as flat columns: no array per position.
        firstPage.logprobColumns = !plan.format.needsLogprobTexts && plan.format.loadsLogprobs(plan.options)
        let query = firstPage
        // Pages are read one ahead on another thread while this one writes JSON.
        let reader = PagePrefetcher { try source.openResponsePages(query: query) }
        defer { reader.cancel() }
        let manifest: ExportManifest
        do {
            try pipeline.drain {
                while true {
                    if let limit = selection.limit, pipeline.rows >= limit { return nil }
                    if let stop, stop.isStopping { throw ExportError.interrupted }
                    if index < buffered.count {
                        let row = buffered[index]
                        index += 1
                        if let settled, row.id > settled { return nil }
                        highest = max(highest, row.id)
                        if !selection.accepts(row) || !verified.admits(row) { continue }
                        if let chosen, !chosen.contains(row.id) { continue }
                        return row
                    }
                    guard let page = try reader.next() else { return nil }
                    buffered = page
                    index = 0
                }
            }
            manifest = try pipeline.finish(curation: selection.includeDropped ? [:] : try store.curationCounts(setName: selection.setName))
        } catch {
            pipeline.abandon()
            throw error
        }
        if let watermarkKey, highest > start { try store.setMetaValue(watermarkKey, String(highest)) }
        return Summary(rows: pipeline.rows, bytes: manifest.bytes, uncompressedBytes: manifest.uncompressedBytes,
                       skipped: pipeline.skipped, manifestPath: pipeline.manifestPath, repaired: pipeline.repaired,
                       teachersWithoutIds: manifest.tokenIds.teachersWithoutIds)
    }

    /// For `first`/`best`: the response id kept for each prompt (one pass over the selection), else nil.
    private func chosenSamples(_ selection: ExportSelection, _ verified: VerifiedSelection, after start: Int64,
                               through settled: Int64?) throws -> Set<Int64>? {
        guard selection.samples != .all else { return nil }
        var best: [Int64: (id: Int64, score: Double)] = [:]
        let pages = try store.openResponsePages(query: ResponseQuery(setName: selection.setName, sweepId: selection.sweepId, afterId: start,
                                                                     limit: 1024, includeLogprobs: selection.samples == .best,
                                                                     excludeMarked: !selection.includeDropped))
        defer { pages.close() }
        while let page = try pages.next() {
            for row in page where selection.accepts(row) && verified.admits(row) {
                if let settled, row.id > settled { return Set(best.values.map(\.id)) }
                guard let score = selection.samples == .first ? -Double(row.sampleIndex) : verified.bestScore(row) else { continue }
                if let current = best[row.promptId], current.score >= score { continue }
                best[row.promptId] = (row.id, score)
            }
        }
        return Set(best.values.map(\.id))
    }
}
