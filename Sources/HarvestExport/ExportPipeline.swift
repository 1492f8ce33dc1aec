import HarvestCore
import HarvestJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams stored responses into an export laid out by an ``ExportPlan``: rows are serialized (``drain(_:)``: in
/// batches of ``RowBatch/capacity`` on several threads, ``BatchSerializer``, appended in order), routed to their split, cut into shards
/// and written to temp files; ``finish(curation:createdAt:)`` moves the export into place. Memory stays bounded
/// (one batch of rows and one 1 MiB buffer per open file).
///
/// All or nothing at every instant: a single file is written as `.NAME.harvest-tmp-PID` beside its target; a folder
/// export is built in a staging folder `.DIR.harvest-tmp-PID` beside the target and renamed onto it in one step.
/// The manifest (`<output>.manifest.json`, beside the file or folder) is complete on disk before the data moves
/// and is renamed right after it. Splits and shards without rows get no file (the manifest lists them in
/// `empty_splits`). Any failure, or ``abandon()``, removes everything written; temp files of killed exports
/// (their pid gone) are removed by the next export to the same place.
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
    /// Rows written so far (with ``drain(_:)``: rows accepted, written by the time it returns).
    public private(set) var rows = 0
    /// Rows the format could not write, by reason (see ``ExportFormat/skipReason(_:options:)``).
    public private(set) var skipped: [String: Int] = [:]
    /// Leftovers of a killed export removed from the target folder before this export started.
    public private(set) var repaired: [String] = []

    private final class Lane {
        let split: String?
        var done: [ExportFile] = []
        var current: ExportFile?
        init(split: String?) { self.split = split }
    }

    private enum State { case open, finished, abandoned }

    private let lanes: [Lane]
    private var writer = JSONWriter(capacity: 1 << 16)
    var stats = ManifestStats()
    private var state = State.open
    private var staging: String?
    private var movedFolder = false
    private var finalFiles: [String] = []
    private var tempCounter = 0
    private var manifestFile: ExportFile?

    /// Validates the plan and prepares the output: refuses targets listed in ``ExportPlan/protectedPaths`` and
    /// anything but a regular file for a file export; removes temp files of dead exports beside the target; a
    /// folder target must be missing, empty, or hold only leftovers of a killed export of the same name (removed,
    /// see ``repaired``); a folder that holds a finished export or other files is refused.
    public init(plan: ExportPlan, harvestVersion: String) throws(ExportError) {
        try plan.validate()
        self.plan = plan
        self.harvestVersion = harvestVersion
        lanes = plan.split.map { $0.names.map { Lane(split: $0) } } ?? [Lane(split: nil)]
        switch plan.output {
        case .stdout:
            lanes[0].current = try ExportFile(stdoutGzipLevel: plan.gzip ? Int32(plan.gzipLevel) : nil)
        case .file(let path):
            try ExportTarget.check(file: path, protecting: plan.protectedPaths)
            try ExportTarget.check(file: path + ExportManifest.suffix, protecting: plan.protectedPaths)
            OutputDirectory.removeStaleTemps(in: OutputDirectory.split(path).parent)
        case .directory(let dir):
            try ExportTarget.check(file: dir + ExportManifest.suffix, protecting: plan.protectedPaths)
            OutputDirectory.removeStaleTemps(in: OutputDirectory.split(dir).parent)
            repaired = try OutputDirectory.prepare(dir, manifestPath: dir + ExportManifest.suffix,
                                                   isExportData: { self.isExportFileName($0) })
            let stage = OutputDirectory.stagingPath(for: dir)
            try OutputDirectory.createStaging(stage)
            staging = stage
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

    /// Where the manifest goes: `<file or folder>.manifest.json` beside the output (`x.jsonl.manifest.json`,
    /// `out.manifest.json` for folder `out`), so no two outputs share one and loaders reading the folder never see
    /// it; nil for stdout.
    public var manifestPath: String? {
        switch plan.output {
        case .stdout: return nil
        case .directory(let path), .file(let path): return path + ExportManifest.suffix
        }
    }

    /// Serializes `row` and appends it to its split's current shard (or counts it in ``skipped``).
    public func consume(_ row: StoredResponse) throws(ExportError) {
        guard state == .open else { throw .closed }
        guard admit(row) else { return }
        writer.reset()
        plan.format.write(row, options: plan.options, to: &writer)
        writer.endLine()
        try withBytes(writer.bytes) { (line) throws(ExportError) in try place(row, line) }
        rows += 1
    }

    /// Consumes rows from `next` until it returns nil, as ``consume(_:)`` would one by one (same bytes, same
    /// order), serializing them in batches of ``RowBatch/capacity`` on up to ``BatchSerializer/defaultThreads``
    /// threads while this thread places earlier batches' lines. ``rows`` counts a row when it joins a batch. If
    /// `next` throws, the export is abandoned and ``ExportError/rowSource(_:)`` is thrown.
    public func drain(_ next: () throws -> StoredResponse?) throws(ExportError) {
        guard state == .open else { throw .closed }
        let serializer = BatchSerializer(format: plan.format, options: plan.options)
        defer { serializer.close() }
        let place = { (row: StoredResponse, line: UnsafeRawBufferPointer) throws(ExportError) in try self.place(row, line) }
        do throws(ExportError) {
            while true {
                let row: StoredResponse?
                do {
                    row = try next()
                } catch let error as ExportError {
                    throw error
                } catch {
                    throw .rowSource(String(describing: error))
                }
                guard let row else { break }
                guard admit(row) else { continue }
                serializer.filling.append(row)
                rows += 1
                if serializer.filling.isFull { try serializer.submit(place) }
            }
            try serializer.submit(place)
            try serializer.flush(place)
        } catch {
            serializer.close()
            abandon()
            throw error
        }
    }

    /// False (counting the row in ``skipped``) when the format cannot write `row`.
    private func admit(_ row: StoredResponse) -> Bool {
        guard let reason = plan.format.skipReason(row, options: plan.options) else { return true }
        skipped[reason, default: 0] += 1
        if reason == KDFormat.noTokenIds { stats.noteTeacherWithoutIds(row) }
        return false
    }

    /// Appends the serialized `line` of `row` to its split's current shard and counts it in the manifest's
    /// statistics; on failure the export is abandoned.
    private func place(_ row: StoredResponse, _ line: UnsafeRawBufferPointer) throws(ExportError) {
        let lane = lanes[plan.split?.index(forPromptHash: row.promptHash) ?? 0]
        do {
            try file(for: lane, adding: line.count).appendRow(line)
        } catch {
            abandon()
            throw error
        }
        stats.add(row)
        if let kd = plan.format as? KDFormat, kd.shape == .current, row.choice.logprobs != nil || row.logprobColumns != nil {
            stats.noteKDTopK(kd.writtenK(row))
        }
    }

    /// Closes every file, writes the manifest to a temp file, moves the data into place, then the manifest, and
    /// returns it. Splits without rows get no file. On failure nothing is left behind.
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

    /// Drops the export: deletes temp files, the staging folder, and anything already moved into place.
    public func abandon() {
        guard state != .abandoned else { return }
        state = .abandoned
        for lane in lanes {
            lane.current?.discard()
            lane.current = nil
            for f in lane.done { f.discard() }
        }
        manifestFile?.discard()
        if let staging { OutputDirectory.removeTree(staging) }
        if movedFolder, case .directory(let dir) = plan.output {
            for name in finalFiles { unlink(dir + "/" + name) }
        }
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
            return try ExportFile(tempPath: OutputDirectory.tempPath(for: path), displayPath: path, gzipLevel: level)
        case .directory(let dir):
            let temp = (staging ?? dir) + "/.\(plan.name)-\(lane.split ?? "all")-\(tempCounter).tmp"
            return try ExportFile(tempPath: temp, displayPath: dir + "/" + plan.name, gzipLevel: level)
        }
    }

    private func commitAll(curation: [String: Int], createdAt: Double) throws(ExportError) -> ExportManifest {
        var files: [ExportManifest.File] = []
        var emptySplits: [String] = []
        var folderName: String?
        if case .directory(let dir) = plan.output { folderName = OutputDirectory.split(dir).base }
        for lane in lanes {
            if let f = lane.current {
                try f.close()
                if f.rows > 0 || lane.done.isEmpty { lane.done.append(f) } else { f.discard() }
                lane.current = nil
            }
            if case .file = plan.output, lane.done.isEmpty {
                // A single-file export is written even without rows: the file asked for exists afterwards.
                let f = try openTemp(for: lane)
                try f.close()
                lane.done.append(f)
            }
            if lane.done.allSatisfy({ $0.rows == 0 }), case .directory = plan.output {
                for f in lane.done { f.discard() }
                lane.done = []
                if let split = lane.split { emptySplits.append(split) }
                continue
            }
            for (i, f) in lane.done.enumerated() {
                let name: String
                switch plan.output {
                case .stdout: name = "-"
                case .file(let path): name = OutputDirectory.split(path).base
                case .directory(let dir):
                    let file = fileName(split: lane.split, shard: i, of: lane.done.count)
                    try f.commit(to: (staging ?? dir) + "/" + file)
                    finalFiles.append(file)
                    name = (folderName ?? "") + "/" + file
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
        manifest.provenance = provenance()
        manifest.emptySplits = emptySplits
        manifest.folder = folderName
        guard let path = manifestPath else {
            manifest.manifestPath = nil
            return manifest
        }
        let m = try ExportFile(tempPath: OutputDirectory.tempPath(for: path), displayPath: path, gzipLevel: nil)
        manifestFile = m
        try m.append(Array(manifest.jsonText.utf8))
        try m.close()
        switch plan.output {
        case .stdout: break
        case .file(let target):
            for f in lanes.flatMap(\.done) { try f.commit(to: target) }
        case .directory(let dir):
            guard let staging else { break }
            OutputDirectory.syncFolder(staging)
            guard rename(staging, dir) == 0 else {
                let reason = errno == ENOTEMPTY || errno == EEXIST ? "the folder is no longer empty" : ExportFile.lastError()
                throw ExportError.io(operation: "move \(staging) to", path: dir, reason: reason,
                                     hint: "another process wrote into the folder; choose an empty -o folder and export again")
            }
            self.staging = nil
            movedFolder = true
        }
        try m.commit(to: path)
        OutputDirectory.sync(containing: path)
        return manifest
    }

    private func isExportFileName(_ entry: String) -> Bool {
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
