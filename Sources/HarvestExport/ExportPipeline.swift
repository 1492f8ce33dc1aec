import HarvestCore
import HarvestJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams stored responses into an export laid out by an ``ExportPlan``: rows are serialized one at a time,
/// routed to their split, cut into shards and written to temp files; ``finish(curation:createdAt:)`` renames
/// every file into place and writes the manifest last. Memory stays bounded (one row and one 1 MiB buffer per
/// open file). Any failure, or ``abandon()``, removes everything written so no partial export is left.
///
/// ```swift
/// let pipeline = try ExportPipeline(plan: plan, harvestVersion: "0.3.0")
/// for row in rows { try pipeline.consume(row) }
/// let manifest = try pipeline.finish()
/// ```
public final class ExportPipeline {
    /// The plan being written.
    public let plan: ExportPlan
    /// Recorded in the manifest.
    public let harvestVersion: String
    /// Rows written so far.
    public private(set) var rows = 0
    /// Rows the format could not write, by reason (see ``ExportFormat/skipReason(_:options:)``).
    public private(set) var skipped: [String: Int] = [:]

    private final class Lane {
        let split: String?
        var done: [ExportFile] = []
        var current: ExportFile?
        init(split: String?) { self.split = split }
    }

    private enum State { case open, finished, abandoned }

    private let lanes: [Lane]
    private var writer = JSONWriter(capacity: 1 << 16)
    private var stats = ManifestStats()
    private var state = State.open
    private var createdDirectory = false
    private var tempCounter = 0
    private var manifestFile: ExportFile?

    /// Validates the plan and prepares the output: a missing folder is created; a folder that already holds
    /// export files (same name prefix, or a `manifest.json`) is refused.
    public init(plan: ExportPlan, harvestVersion: String) throws(ExportError) {
        try plan.validate()
        self.plan = plan
        self.harvestVersion = harvestVersion
        lanes = plan.split.map { $0.names.map { Lane(split: $0) } } ?? [Lane(split: nil)]
        switch plan.output {
        case .stdout:
            lanes[0].current = try ExportFile(stdoutGzipLevel: plan.gzip ? Int32(plan.gzipLevel) : nil)
        case .file:
            break
        case .directory(let dir):
            createdDirectory = try OutputDirectory.prepare(dir, conflicts: { self.isExportFileName($0) })
        }
    }

    deinit { if state == .open { abandon() } }

    /// The data file name for shard `shard` of `count` in `split` (folder output).
    public func fileName(split: String?, shard: Int, of count: Int) -> String {
        var n = plan.name
        if let split { n += "-" + split }
        if plan.shards.isSharded { n += "-" + Self.fiveDigits(shard) + "-of-" + Self.fiveDigits(count) }
        return n + plan.fileExtension
    }

    /// Where the manifest goes: `DIR/manifest.json`, or `<stem>.manifest.json` beside a single file; nil for stdout.
    public var manifestPath: String? {
        switch plan.output {
        case .stdout: return nil
        case .directory(let dir): return dir + "/manifest.json"
        case .file(let path):
            var stem = path
            for ext in [".jsonl.gz", ".jsonl", ".json", ".gz"] where stem.hasSuffix(ext) && stem.count > ext.count {
                stem.removeLast(ext.count)
                break
            }
            return stem + ".manifest.json"
        }
    }

    /// Serializes `row` and appends it to its split's current shard (or counts it in ``skipped``).
    public func consume(_ row: StoredResponse) throws(ExportError) {
        guard state == .open else { throw .closed }
        if let reason = plan.format.skipReason(row, options: plan.options) {
            skipped[reason, default: 0] += 1
            return
        }
        writer.reset()
        plan.format.write(row, options: plan.options, to: &writer)
        writer.bytes.append(0x0A)
        let lane = lanes[plan.split?.index(forPromptHash: row.promptHash) ?? 0]
        do {
            try file(for: lane, adding: writer.bytes.count).appendRow(writer.bytes)
        } catch {
            abandon()
            throw error
        }
        stats.add(row)
        rows += 1
    }

    /// Consumes rows from `next` until it returns nil. If `next` throws, the export is abandoned and
    /// ``ExportError/rowSource(_:)`` is thrown.
    public func drain(_ next: () throws -> StoredResponse?) throws(ExportError) {
        while true {
            let row: StoredResponse?
            do {
                row = try next()
            } catch {
                abandon()
                throw .rowSource(String(describing: error))
            }
            guard let row else { return }
            try consume(row)
        }
    }

    /// Closes every file, renames them into place, writes the manifest (temp + rename, last) and returns it.
    /// Every declared split gets at least one (possibly empty) file. On failure nothing is left behind.
    public func finish(curation: [String: Int] = [:], createdAt: Double? = nil) throws(ExportError) -> ExportManifest {
        guard state == .open else { throw .closed }
        do {
            let manifest = try commitAll(curation: curation, createdAt: createdAt ?? Self.now())
            state = .finished
            return manifest
        } catch {
            abandon()
            throw error
        }
    }

    /// Drops the export: deletes temp files and any file already renamed, and the folder if this export created it.
    public func abandon() {
        guard state != .abandoned else { return }
        state = .abandoned
        for lane in lanes {
            lane.current?.discard()
            lane.current = nil
            for f in lane.done { f.discard() }
        }
        manifestFile?.discard()
        if createdDirectory, case .directory(let dir) = plan.output { rmdir(dir) }
    }

    private func file(for lane: Lane, adding size: Int) throws(ExportError) -> ExportFile {
        if let f = lane.current {
            let rowsFull = plan.shards.maxRows.map { f.rows >= $0 } ?? false
            let bytesFull = plan.shards.maxBytes.map { f.rawBytes + size > $0 } ?? false
            if f.rows == 0 || !(rowsFull || bytesFull) { return f }
            try f.close()
            lane.done.append(f)
            lane.current = nil
        }
        let f = try openTemp(for: lane)
        lane.current = f
        return f
    }

    private func openTemp(for lane: Lane) throws(ExportError) -> ExportFile {
        tempCounter += 1
        let level = plan.gzip ? Int32(plan.gzipLevel) : nil
        switch plan.output {
        case .stdout:
            return try ExportFile(stdoutGzipLevel: level)
        case .file(let path):
            return try ExportFile(tempPath: path + ".tmp-\(getpid())", displayPath: path, gzipLevel: level)
        case .directory(let dir):
            let temp = dir + "/.\(plan.name)-\(lane.split ?? "all")-\(tempCounter).tmp-\(getpid())"
            return try ExportFile(tempPath: temp, displayPath: dir + "/" + plan.name, gzipLevel: level)
        }
    }

    private func commitAll(curation: [String: Int], createdAt: Double) throws(ExportError) -> ExportManifest {
        var files: [ExportManifest.File] = []
        for lane in lanes {
            if lane.current == nil && lane.done.isEmpty { lane.current = try openTemp(for: lane) }
            if let f = lane.current {
                try f.close()
                lane.done.append(f)
                lane.current = nil
            }
            for (i, f) in lane.done.enumerated() {
                let name: String
                switch plan.output {
                case .stdout: name = "-"
                case .file(let path):
                    name = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path))
                    try f.commit(to: path)
                case .directory(let dir):
                    name = fileName(split: lane.split, shard: i, of: lane.done.count)
                    try f.commit(to: dir + "/" + name)
                }
                files.append(ExportManifest.File(path: name, split: lane.split, shard: i, rows: f.rows, bytes: f.fileBytes,
                                                 uncompressedBytes: f.rawBytes, sha256: f.sha256))
            }
        }
        var manifest = ExportManifest(
            format: plan.format.name, options: plan.options, name: plan.name, split: plan.split, shards: plan.shards,
            gzip: plan.gzip, files: files, rows: rows, teachers: stats.teachers.sorted(), models: stats.models.sorted(),
            samplingParams: stats.samplingParams.sorted(), rowsWithLogprobs: stats.rowsWithLogprobs,
            topLogprobsRequested: stats.topLogprobsRequested.sorted(), topKSeen: stats.topKSeen.sorted(),
            receivedAt: stats.firstReceivedAt.flatMap { a in stats.lastReceivedAt.map { a...$0 } },
            harvestVersion: harvestVersion, createdAt: createdAt, curation: curation, skipped: skipped,
            manifestPath: manifestPath)
        manifest.tokenIds = stats.tokenIds
        if let path = manifestPath {
            let m = try ExportFile(tempPath: path + ".tmp-\(getpid())", displayPath: path, gzipLevel: nil)
            manifestFile = m
            try m.append(Array(manifest.jsonText.utf8))
            try m.close()
            try m.commit(to: path)
            OutputDirectory.sync(containing: path)
        } else {
            manifest.manifestPath = nil
        }
        return manifest
    }

    private func isExportFileName(_ entry: String) -> Bool {
        if entry == "manifest.json" { return true }
        guard entry.hasPrefix(plan.name + "-") || entry.hasPrefix(plan.name + ".") else { return false }
        return entry.hasSuffix(".jsonl") || entry.hasSuffix(".jsonl.gz")
    }

    private static func fiveDigits(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
