import Foundation
import HarvestCore
import HarvestCrypto
import HarvestExport
import HarvestJSON
import Testing

@Suite("Export pipeline: splits, shards, atomicity")
struct PipelineTests {
    static func export(_ rows: [StoredResponse], _ plan: ExportPlan, curation: [String: Int] = [:]) throws -> ExportManifest {
        let pipeline = try ExportPipeline(plan: plan, harvestVersion: "9.9.9-test")
        for row in rows { try pipeline.consume(row) }
        return try pipeline.finish(curation: curation, createdAt: 1_750_000_000)
    }

    @Test func splitsKeepEverySampleOfAPromptTogether() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let spec = try SplitSpec(parsing: "train=0.7,val=0.3")
        var rows: [StoredResponse] = []
        for p in 0..<100 {
            let hash = hex(SHA256.digest(Array("p\(p)".utf8)))
            for s in 0..<3 { rows.append(synthetic(Int64(p * 3 + s + 1), answerBytes: 10, promptHash: hash)) }
        }
        let out = dir.file("out")
        let manifest = try Self.export(rows, ExportPlan(format: RawFormat(), output: .directory(out), split: spec))
        #expect(dir.entries("out") == ["data-train.jsonl", "data-val.jsonl"])
        #expect(dir.entries() == ["out", "out.manifest.json"])
        var splitOfHash: [String: String] = [:]
        for split in ["train", "val"] {
            for line in readLines(readBytes(out + "/data-\(split).jsonl")) {
                let hash = try #require(try JSONValue.parse(line)["prompt_hash"]?.stringValue)
                #expect(splitOfHash[hash, default: split] == split, "prompt \(hash) in two splits")
                splitOfHash[hash] = split
                #expect(spec.name(forPromptHash: hash) == split)
            }
        }
        #expect(splitOfHash.count == 100)
        #expect(manifest.rows == 300)
        #expect(manifest.files.map(\.split) == ["train", "val"])
        #expect(manifest.files.reduce(0) { $0 + $1.rows } == 300)
        #expect(manifest.files.allSatisfy { $0.rows % 3 == 0 })
    }

    @Test func shardsByRowCount() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let rows = syntheticRows(10)
        let manifest = try Self.export(rows, ExportPlan(format: OpenAIChatFormat(), output: .directory(dir.file("out")),
                                                        shards: ShardLimits(maxRows: 3)))
        let names = (0..<4).map { "out/data-0000\($0)-of-00004.jsonl" }
        #expect(dir.entries("out").map { "out/" + $0 } == names)
        #expect(manifest.files.map(\.path) == names)
        #expect(manifest.files.map(\.rows) == [3, 3, 3, 1])
        #expect(manifest.files.map(\.shard) == [0, 1, 2, 3])
        // Shards concatenate to the unsharded export, in order.
        let single = TempDir()
        defer { single.remove() }
        _ = try Self.export(rows, ExportPlan(format: OpenAIChatFormat(), output: .file(single.file("all.jsonl"))))
        #expect(names.flatMap { readBytes(dir.file($0)) } == readBytes(single.file("all.jsonl")))
    }

    @Test func shardsByByteSize() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var rows = syntheticRows(40, answerBytes: 150)
        rows.insert(synthetic(99, answerBytes: 3000), at: 17)   // larger than the limit: a shard of its own
        let manifest = try Self.export(rows, ExportPlan(format: OpenAIChatFormat(), output: .directory(dir.file("out")),
                                                        shards: ShardLimits(maxBytes: 1000)))
        #expect(manifest.files.count > 5)
        #expect(manifest.rows == 41)
        for file in manifest.files {
            let size = readBytes(dir.file(file.path)).count
            #expect(size == file.bytes)
            #expect(size <= 1000 || file.rows == 1, "\(file.path): \(size) bytes in \(file.rows) rows")
            #expect(file.path.hasSuffix("-of-\(String(format: "%05d", manifest.files.count)).jsonl"))
        }
        // Greedy: no shard could have taken the next row.
        for (a, b) in zip(manifest.files, manifest.files.dropFirst()) {
            let firstOfNext = readLines(readBytes(dir.file(b.path)))[0].utf8.count + 1
            #expect(a.uncompressedBytes + firstOfNext > 1000)
        }
    }

    /// #11 item 2: a split without rows gets no file; the manifest names it in `empty_splits`.
    @Test func splitsAndShardsTogetherAndEmptySplits() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let hash = hex(SHA256.digest(Array("one prompt".utf8)))
        let spec = try SplitSpec(parsing: "train=0.5,val=0.5")
        let rows = (1...5).map { synthetic(Int64($0), answerBytes: 10, promptHash: hash) }
        let manifest = try Self.export(rows, ExportPlan(format: TRLFormat(), output: .directory(dir.file("out")), name: "kd-run",
                                                        split: spec, shards: ShardLimits(maxRows: 2)))
        let full = spec.name(forPromptHash: hash)
        let empty = full == "train" ? "val" : "train"
        #expect(dir.entries("out") == [
            "kd-run-\(full)-00000-of-00003.jsonl", "kd-run-\(full)-00001-of-00003.jsonl", "kd-run-\(full)-00002-of-00003.jsonl",
        ])
        #expect(manifest.files.allSatisfy { $0.split == full && $0.rows > 0 })
        #expect(manifest.emptySplits == [empty])
        let json = try JSONValue.parse(readBytes(dir.file("out.manifest.json")))
        #expect(json["empty_splits"]?.jsonString == "[\"\(empty)\"]")
        let call = try #require(json["load"]?["datasets"]?.stringValue)
        #expect(call.contains("\"\(full)\": [\"out/kd-run-\(full)-00000-of-00003.jsonl\"") && !call.contains("\"\(empty)\""))
    }

    @Test func failingRowSourceLeavesNoFile() throws {
        let dir = TempDir()
        defer { dir.remove() }
        for output in [ExportOutput.directory(dir.file("new")), .directory(dir.path), .file(dir.file("one.jsonl"))] {
            let split = output == .file(dir.file("one.jsonl")) ? nil : try SplitSpec(parsing: "train=0.9,val=0.1")
            let pipeline = try ExportPipeline(
                plan: ExportPlan(format: OpenAIChatFormat(), output: output, split: split, gzip: true), harvestVersion: "t")
            var rows = syntheticRows(5_000)[...]
            #expect {
                try pipeline.drain {
                    if rows.count == 1_000 { throw SourceFailure() }
                    return rows.popFirst()
                }
            } throws: { error in
                (error as? ExportError) == .rowSource("database is locked")
                    && "\(error)".contains("nothing was written")
            }
            #expect(dir.entries() == [], "after \(output): \(dir.entries())")
            #expect(throws: ExportError.closed) { try pipeline.consume(Fixtures.single) }
        }
    }

    @Test func unwritableTargetsFailClearly() throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = FileManager.default.createFile(atPath: dir.file("plain"), contents: Data())
        // A folder under a regular file cannot be created.
        #expect {
            _ = try ExportPipeline(plan: ExportPlan(format: KDFormat(), output: .directory(dir.file("plain/out"))), harvestVersion: "t")
        } throws: { error in
            guard case .io(let op, let path, _, let hint) = error as? ExportError else { return false }
            return op == "create folder" && path.hasSuffix("plain/out") && !hint.isEmpty
        }
        // A file in a missing folder fails on the first row and leaves nothing.
        let pipeline = try ExportPipeline(plan: ExportPlan(format: KDFormat(), output: .file(dir.file("missing/x.jsonl"))),
                                          harvestVersion: "t")
        #expect {
            try pipeline.consume(Fixtures.tokenIds)
        } throws: { error in
            "\(error)".contains("missing/.x.jsonl.harvest-tmp-") && "\(error)".contains("check that the folder exists")
        }
        #expect(dir.entries() == ["plain"])
    }

    @Test func failedMoveAtFinishRollsBackEverything() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let spec = try SplitSpec(parsing: "train=0.5,val=0.5")
        let pipeline = try ExportPipeline(plan: ExportPlan(format: OpenAIChatFormat(), output: .directory(dir.file("out")), split: spec),
                                          harvestVersion: "t")
        for row in syntheticRows(50) { try pipeline.consume(row) }
        #expect(dir.entries().count == 1 && dir.entries()[0].hasPrefix(".out.harvest-tmp-"))   // built beside, not in place
        // After the checks, someone writes into the target: the folder can no longer be moved into place.
        try FileManager.default.createDirectory(atPath: dir.file("out/blocker"), withIntermediateDirectories: true)
        #expect {
            _ = try pipeline.finish()
        } throws: { error in
            guard case .io(let op, let path, let reason, _) = error as? ExportError else { return false }
            return op.hasPrefix("move") && path.hasSuffix("/out") && reason.contains("no longer empty")
        }
        #expect(dir.entries() == ["out"])   // no staging folder, no manifest temp, no manifest
        #expect(dir.entries("out") == ["blocker"])
    }

    @Test func refusesAFolderHoldingAnotherExportOrOtherFiles() throws {
        let dir = TempDir()
        defer { dir.remove() }
        _ = try Self.export([Fixtures.single], ExportPlan(format: AlpacaFormat(), output: .directory(dir.file("out"))))
        #expect {
            _ = try ExportPipeline(plan: ExportPlan(format: AlpacaFormat(), output: .directory(dir.file("out"))), harvestVersion: "t")
        } throws: { error in
            (error as? ExportError) == .outputNotEmpty(directory: dir.file("out"), names: ["out.manifest.json beside it", "data.jsonl"])
                && "\(error)".contains("remove them or choose another -o directory")
        }
        try FileManager.default.createDirectory(atPath: dir.file("mixed"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.file("mixed/notes.txt"), contents: Data())
        _ = FileManager.default.createFile(atPath: dir.file("mixed/data.jsonl"), contents: Data())
        #expect {
            _ = try ExportPipeline(plan: ExportPlan(format: AlpacaFormat(), output: .directory(dir.file("mixed"))), harvestVersion: "t")
        } throws: { error in
            (error as? ExportError) == .folderInUse(directory: dir.file("mixed"), names: ["notes.txt"])
                && "\(error)".contains("new or empty folder")
        }
        #expect(dir.entries("mixed") == ["data.jsonl", "notes.txt"])   // refused before touching anything
    }

    @Test func gzipRoundTripAndManifestDigests() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let rows = syntheticRows(6_000, answerBytes: 300)
        let plain = TempDir()
        defer { plain.remove() }
        _ = try Self.export(rows, ExportPlan(format: ShareGPTFormat(), output: .file(plain.file("all.jsonl"))))
        let manifest = try Self.export(rows, ExportPlan(format: ShareGPTFormat(), output: .directory(dir.file("out")),
                                                        shards: ShardLimits(maxRows: 2_500), gzip: true))
        #expect(manifest.files.map(\.path) == ["out/data-00000-of-00003.jsonl.gz", "out/data-00001-of-00003.jsonl.gz", "out/data-00002-of-00003.jsonl.gz"])
        var joined: [UInt8] = []
        for file in manifest.files {
            let bytes = readBytes(dir.file(file.path))
            #expect(bytes.count == file.bytes)
            #expect(Array(bytes.prefix(2)) == [0x1F, 0x8B])
            #expect(hex(SHA256.digest(bytes)) == file.sha256)
            let text = try #require(gunzip(bytes))
            #expect(text.count == file.uncompressedBytes)
            #expect(readLines(text).count == file.rows)
            joined += text
        }
        #expect(joined == readBytes(plain.file("all.jsonl")))
        #expect(manifest.bytes < joined.count / 5)
        // The system gzip agrees, when there is one.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") || FileManager.default.isExecutableFile(atPath: "/bin/gzip") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") ? "/usr/bin/gzip" : "/bin/gzip")
            p.arguments = ["-t"] + manifest.files.map { dir.file($0.path) }
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
    }

    @Test func manifestRecordsFilesRowsAndProvenance() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let plan = ExportPlan(format: KDFormat(), options: ExportOptions(reasoning: .inline), output: .directory(dir.file("out")),
                              name: "kd", split: try SplitSpec(parsing: "train=0.75,val=0.25"), shards: ShardLimits(maxBytes: 1 << 20))
        let manifest = try Self.export(Fixtures.all, plan, curation: ["exact_duplicate": 3, "too_long": 1])
        #expect(manifest.manifestPath == dir.file("out.manifest.json"))
        let json = try JSONValue.parse(readBytes(dir.file("out.manifest.json")))
        #expect(json["manifest_version"]?.intValue == 2)
        #expect(json["harvest_version"]?.stringValue == "9.9.9-test")
        #expect(json["created_at"]?.stringValue == "2025-06-15T15:06:40Z")
        #expect(json["format"]?.stringValue == "kd")
        #expect(json["options"]?.jsonString == #"{"reasoning":"inline","with_logprobs":false}"#)
        #expect(json["layout"]?.jsonString == #"{"name":"kd","split":{"train":0.75,"val":0.25},"shard_rows":null,"shard_bytes":1048576,"gzip":false}"#)
        #expect(json["rows"]?.intValue == 1)   // kd leaves out the two rows without logprobs and the one without token ids
        #expect(manifest.skipped == ["no_logprobs": 2, "no_token_ids": 1])
        let files = try #require(json["files"]?.arrayValue)
        #expect(files.count == manifest.files.count)
        for f in files {
            let path = try #require(f["path"]?.stringValue)
            let bytes = readBytes(dir.file(path))
            #expect(f["sha256"]?.stringValue == hex(SHA256.digest(bytes)))
            #expect(f["bytes"]?.intValue == bytes.count)
            #expect(f["rows"]?.intValue == readLines(bytes).count)
            #expect(path.hasPrefix("out/kd-" + (f["split"]?.stringValue ?? "?") + "-00000-of-00001"))
        }
        #expect(json["teachers"]?.jsonString == #"[{"base_url":"http://10.0.0.2:8000/v1","model":"meta-llama/Llama-3.1-8B-Instruct","kind":"completions"}]"#)
        #expect(json["models"]?.jsonString == #"["llama-3.1-8b"]"#)
        #expect(json["sampling_params"]?.jsonString == #"[{"seed":7,"top_logprobs":2}]"#)
        // The refused row's teacher is named although none of its rows was written.
        #expect(json["logprobs"]?.jsonString == #"{"rows_with_logprobs":1,"top_logprobs_requested":[2],"top_k_seen":[0,2],"token_ids":{"rows_with_ids":1,"rows_without_ids":0,"teachers_without_ids":["Qwen/Qwen2.5-7B-Instruct"]}}"#)
        #expect(json["provenance"]?["logprob_mode"]?.jsonString == #"["sampled"]"#)
        #expect(json["provenance"]?["temperatures"]?.jsonString == "[null]")
        #expect(json["provenance"]?["max_token_id"]?.intValue == 9642)
        #expect(json["received_at"]?.jsonString == #"{"first":"2023-11-14T22:16:40Z","last":"2023-11-14T22:16:40Z","first_unix":1700000200,"last_unix":1700000200}"#)
        #expect(json["curation"]?.jsonString == #"{"exact_duplicate":3,"too_long":1}"#)
        #expect(json["skipped"]?.jsonString == #"{"no_logprobs":2,"no_token_ids":1}"#)
        #expect(String(decoding: readBytes(dir.file("out.manifest.json")), as: UTF8.self) == manifest.jsonText)
    }

    @Test func singleFileGetsItsManifestBeside() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let manifest = try Self.export(Fixtures.all, ExportPlan(format: OpenAIChatFormat(), output: .file(dir.file("corpus.jsonl.gz")), gzip: true))
        #expect(dir.entries() == ["corpus.jsonl.gz", "corpus.jsonl.gz.manifest.json"])
        #expect(manifest.files.map(\.path) == ["corpus.jsonl.gz"])
        #expect(readLines(gunzip(readBytes(dir.file("corpus.jsonl.gz"))) ?? []) == GoldenTests.lines(OpenAIChatFormat()))
    }

    @Test func plansThatCannotBeWrittenAreRejected() throws {
        let spec = try SplitSpec(parsing: "train=0.98,val=0.02")
        let cases: [(ExportPlan, String)] = [
            (ExportPlan(format: RawFormat(), output: .stdout, split: spec), "standard output (-o -) is a single stream"),
            (ExportPlan(format: RawFormat(), output: .stdout, shards: ShardLimits(maxRows: 10)), "need a folder"),
            (ExportPlan(format: RawFormat(), output: .file("x.jsonl"), shards: ShardLimits(maxBytes: 10)), "x.jsonl is a single file"),
            (ExportPlan(format: RawFormat(), output: .directory("d"), shards: ShardLimits(maxRows: 0)), "--shard-rows must be at least 1"),
            (ExportPlan(format: RawFormat(), output: .directory("d"), shards: ShardLimits(maxBytes: -1)), "--shard-bytes must be at least 1"),
            (ExportPlan(format: RawFormat(), output: .directory("d"), name: "a/b"), "plain file name"),
            (ExportPlan(format: RawFormat(), output: .directory("d"), gzip: true, gzipLevel: 11), "gzip level"),
        ]
        for (plan, message) in cases {
            #expect {
                try plan.validate()
            } throws: { error in
                "\(error)".hasPrefix("cannot export: ") && "\(error)".contains(message)
            }
        }
        try ExportPlan(format: RawFormat(), output: .stdout, gzip: true).validate()
    }

    @Test func outputArgumentResolution() throws {
        let dir = TempDir()
        defer { dir.remove() }
        #expect(ExportOutput.resolve("-", needsDirectory: false) == .stdout)
        #expect(ExportOutput.resolve("-", needsDirectory: true) == .stdout)
        #expect(ExportOutput.resolve(dir.path, needsDirectory: false) == .directory(dir.path))
        #expect(ExportOutput.resolve("new/", needsDirectory: false) == .directory("new"))
        #expect(ExportOutput.resolve("a.jsonl", needsDirectory: false) == .file("a.jsonl"))
        #expect(ExportOutput.resolve("a", needsDirectory: true) == .directory("a"))
    }

    @Test func exportSinkStaysCompatible() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let sink = try ExportSink(path: dir.file("s.jsonl"))
        try sink.write(Array("{}\n".utf8))
        #expect(sink.bytesWritten == 3)
        #expect(dir.entries().count == 1 && dir.entries()[0].hasPrefix("s.jsonl.tmp-"))
        try sink.finish()
        #expect(readBytes(dir.file("s.jsonl")) == Array("{}\n".utf8))
        #expect(sink.sha256 == hex(SHA256.digest(Array("{}\n".utf8))))
        let dropped = try ExportSink(path: dir.file("t.jsonl"), gzip: true)
        try dropped.write(Array("x\n".utf8))
        dropped.abandon()
        #expect(dir.entries() == ["s.jsonl"])
        let zipped = try ExportSink(path: dir.file("z.jsonl.gz"), gzip: true)
        try zipped.write(Array("hello\n".utf8))
        try zipped.finish()
        #expect(gunzip(readBytes(dir.file("z.jsonl.gz"))) == Array("hello\n".utf8))
        #expect(zipped.fileBytes == readBytes(dir.file("z.jsonl.gz")).count)
    }

    /// A file past several writeback chunks (started during the export, 8 MiB each, pages dropped once clean) and
    /// two background `fdatasync`s (every 32 MiB) reads back byte for byte, with the digest of what was written.
    @Test func aLargeFileReadsBackExactlyAfterEarlyWriteback() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let sink = try ExportSink(path: dir.file("big.jsonl"))
        var written: [UInt8] = []
        var line = 0
        while written.count < 72 << 20 {
            let bytes = Array("{\"line\":\(line),\"pad\":\"\(String(repeating: "abcdefghij", count: 1 + line % 97))\"}\n".utf8)
            try sink.write(bytes)
            written += bytes
            line += 1
        }
        try sink.finish()
        let back = readBytes(dir.file("big.jsonl"))
        #expect(back.count == written.count && back == written)
        #expect(sink.sha256 == hex(SHA256.digest(written)) && sink.fileBytes == written.count)
    }
}
