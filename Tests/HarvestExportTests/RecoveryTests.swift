import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// #11 item 8 and #10 items 2 and 9: what killed exports leave is cleaned or finished by the next export, and
/// targets that must not be replaced are refused.
@Suite("Export recovery and target safety")
struct RecoveryTests {
    /// The pid of a process that has exited (and was reaped): no live process has it.
    static func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exit 0"]
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    static func touch(_ path: String, _ text: String = "x\n") {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    @Test func staleTempsOfDeadExportsAreRemovedAndLiveOnesKept() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let dead = try Self.deadPid()
        let alive = getpid()
        let stale = [".x.jsonl.harvest-tmp-\(dead)", "old.jsonl.tmp-\(dead)", "old.jsonl.gz.tmp-\(dead)", "old.manifest.json.tmp-\(dead)",
                     ".y.jsonl.manifest.json.harvest-tmp-\(dead)"]
        for name in stale { Self.touch(dir.file(name)) }
        try FileManager.default.createDirectory(atPath: dir.file(".out.harvest-tmp-\(dead)"), withIntermediateDirectories: true)
        Self.touch(dir.file(".out.harvest-tmp-\(dead)/data-train.jsonl"))
        let kept = [".z.jsonl.harvest-tmp-\(alive)", "notes.tmp-\(dead)", "data.jsonl"]
        for name in kept { Self.touch(dir.file(name)) }
        _ = try PipelineTests.export([Fixtures.single], ExportPlan(format: OpenAIChatFormat(), output: .file(dir.file("new.jsonl"))))
        #expect(dir.entries() == (kept + ["new.jsonl", "new.jsonl.manifest.json"]).sorted())
    }

    @Test func aFolderLeftByAKilledExportIsRepairedOnRerun() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let dead = try Self.deadPid()
        // What an older harvest left when SIGKILLed while renaming: data files under final names, a temp, no manifest.
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        for name in ["data-train-00000-of-00002.jsonl", "data-train-00001-of-00002.jsonl", "data-val.jsonl", ".data-val-3.tmp-\(dead)"] {
            Self.touch(dir.file("out/" + name), "{\"stale\":true}\n")
        }
        let spec = try SplitSpec(parsing: "train=0.5,val=0.5")
        let pipeline = try ExportPipeline(plan: ExportPlan(format: OpenAIChatFormat(), output: .directory(dir.file("out")), split: spec),
                                          harvestVersion: "t")
        #expect(pipeline.repaired == [".data-val-3.tmp-\(dead)", "data-train-00000-of-00002.jsonl", "data-train-00001-of-00002.jsonl", "data-val.jsonl"])
        for row in syntheticRows(40) { try pipeline.consume(row) }
        let manifest = try pipeline.finish()
        #expect(dir.entries("out") == ["data-train.jsonl", "data-val.jsonl"])
        #expect(manifest.rows == 40 && manifest.files.reduce(0) { $0 + $1.rows } == 40)
        let text = String(decoding: readBytes(dir.file("out/data-train.jsonl")) + readBytes(dir.file("out/data-val.jsonl")), as: UTF8.self)
        #expect(!text.contains("stale"))
    }

    @Test func aManifestNotYetMovedIsFinishedByTheNextExport() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let dead = try Self.deadPid()
        // Killed after the folder moved into place and before its manifest did (the manifest temp is complete).
        _ = try PipelineTests.export(syntheticRows(3), ExportPlan(format: RawFormat(), output: .directory(dir.file("out"))))
        try FileManager.default.moveItem(atPath: dir.file("out.manifest.json"), toPath: dir.file(".out.manifest.json.harvest-tmp-\(dead)"))
        // Killed before the folder moved: the staging folder is still there, so its manifest temp is dropped.
        try FileManager.default.createDirectory(atPath: dir.file(".b.harvest-tmp-\(dead)"), withIntermediateDirectories: true)
        Self.touch(dir.file(".b.manifest.json.harvest-tmp-\(dead)"), "{}\n")
        _ = try PipelineTests.export([Fixtures.single], ExportPlan(format: RawFormat(), output: .file(dir.file("c.jsonl"))))
        #expect(dir.entries() == ["c.jsonl", "c.jsonl.manifest.json", "out", "out.manifest.json"])
        let json = try JSONValue.parse(readBytes(dir.file("out.manifest.json")))
        #expect(json["rows"]?.intValue == 3)
    }

    @Test func manifestsNeverCollide() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let plain = try PipelineTests.export(syntheticRows(5), ExportPlan(format: ShareGPTFormat(), output: .file(dir.file("x.jsonl"))))
        let zipped = try PipelineTests.export(syntheticRows(5), ExportPlan(format: ShareGPTFormat(), output: .file(dir.file("x.jsonl.gz")), gzip: true))
        let folder = try PipelineTests.export(syntheticRows(5), ExportPlan(format: ShareGPTFormat(), output: .directory(dir.file("x"))))
        #expect(Set([plain.manifestPath, zipped.manifestPath, folder.manifestPath]).count == 3)
        #expect(dir.entries() == ["x", "x.jsonl", "x.jsonl.gz", "x.jsonl.gz.manifest.json", "x.jsonl.manifest.json", "x.manifest.json"])
        // gzip: bytes are what is on disk.
        #expect(zipped.bytes == readBytes(dir.file("x.jsonl.gz")).count)
        #expect(zipped.uncompressedBytes == readBytes(dir.file("x.jsonl")).count)
        let json = try JSONValue.parse(readBytes(dir.file("x.jsonl.gz.manifest.json")))
        #expect(json["bytes"]?.intValue == zipped.bytes && json["uncompressed_bytes"]?.intValue == zipped.uncompressedBytes)
        #expect(json["load"]?["llamafactory_dataset_info"] == .null)
        #expect(json["load"]?["llamafactory_note"]?.stringValue?.contains(".jsonl.gz") == true)
        // The folder holds only data files, so `load_dataset(DIR)` and LLaMA-Factory read nothing else.
        #expect(dir.entries("x") == ["data.jsonl"])
    }

    @Test func loaderHintsMatchTheFiles() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let plan = ExportPlan(format: AlpacaFormat(), output: .directory(dir.file("out")), split: try SplitSpec(parsing: "train=0.8,test=0.2"),
                              shards: ShardLimits(maxRows: 30))
        _ = try PipelineTests.export(syntheticRows(100), plan)
        let json = try JSONValue.parse(readBytes(dir.file("out.manifest.json")))
        let files = try #require(json["files"]?.arrayValue)
        let info = try #require(json["load"]?["llamafactory_dataset_info"]?.objectValue)
        // Every data file is named once, by an entry LLaMA-Factory reads with the alpaca columns.
        let named = info.compactMap { $0.1["file_name"]?.stringValue }
        #expect(Set(named) == Set(files.compactMap { $0["path"]?.stringValue }))
        #expect(info.allSatisfy { $0.1["formatting"]?.stringValue == "alpaca" && $0.1["columns"]?["response"]?.stringValue == "output" })
        #expect(info.map(\.0).allSatisfy { $0.hasPrefix("data_train") || $0.hasPrefix("data_test") })
        let call = try #require(json["load"]?["datasets"]?.stringValue)
        for f in files { #expect(call.contains("\"" + (f["path"]?.stringValue ?? "?") + "\"")) }
        #expect(call.hasPrefix("load_dataset(\"json\", data_files={\"train\": [\"out/data-train-00000-of-"))
        // Unsplit folder: one entry for the whole folder; single file: the file.
        _ = try PipelineTests.export(syntheticRows(10), ExportPlan(format: OpenAIChatFormat(), output: .directory(dir.file("u")),
                                                                   shards: ShardLimits(maxRows: 4)))
        let u = try JSONValue.parse(readBytes(dir.file("u.manifest.json")))
        #expect(u["load"]?["llamafactory_dataset_info"]?.jsonString
            == #"{"data":{"file_name":"u","formatting":"sharegpt","columns":{"messages":"messages"},"tags":{"role_tag":"role","content_tag":"content","user_tag":"user","assistant_tag":"assistant","system_tag":"system"}}}"#)
        #expect(u["load"]?["datasets"]?.stringValue?.hasSuffix(#", split="train")"#) == true)
    }

    @Test func targetsThatMustNotBeReplacedAreRefused() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = dir.file("h.sqlite")
        Self.touch(db, "SQLite format 3\u{0}")
        Self.touch(db + "-wal", "wal")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.jsonl"), withDestinationPath: db)
        #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
        var targets: [(String, String)] = [
            (db, "a file of the database"), (db + "-wal", "a file of the database"), (db + "-shm", "a file of the database"),
            (dir.file("link.jsonl"), "a file of the database"), (dir.file("fifo"), "FIFO"),
            (dir.path + "/./h.sqlite", "a file of the database"),
        ]
        if access("/dev/null", W_OK) == 0 { targets.append(("/dev/null", "device node")) }
        for (target, reason) in targets {
            var plan = ExportPlan(format: RawFormat(), output: .file(target))
            plan.protectedPaths = ExportTarget.databaseFiles(db)
            #expect {
                _ = try ExportPipeline(plan: plan, harvestVersion: "t")
            } throws: { error in
                guard case .unsafeTarget(let path, let why) = error as? ExportError else { return false }
                return path == target && why.contains(reason) && "\(error)".contains("-o -")
            }
        }
        #expect(String(decoding: readBytes(db), as: UTF8.self) == "SQLite format 3\u{0}")
        var st = stat()
        #expect(stat(dir.file("fifo"), &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        if access("/dev/null", W_OK) == 0 { #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR) }
        #expect(dir.entries() == ["fifo", "h.sqlite", "h.sqlite-wal", "link.jsonl"])
        // A folder export onto a regular file is refused too.
        #expect(throws: ExportError.self) {
            _ = try ExportPipeline(plan: ExportPlan(format: RawFormat(), output: .directory(db)), harvestVersion: "t")
        }
    }
}
