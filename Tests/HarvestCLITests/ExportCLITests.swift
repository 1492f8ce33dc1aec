import Foundation
import Testing

/// `harvest export` as an operator runs it: refused targets (#10 item 2), SIGKILL at any moment (#11 item 8,
/// #10 item 9), gzip sizes (#11 item 6), inspect ids (#11 item 10).
@Suite(.serialized) struct ExportCLITests {
    func harvested(prompts: Int) async throws -> (dir: URL, db: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-export-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("h.sqlite").path
        let input = dir.appendingPathComponent("p.jsonl").path
        let lines = (0..<prompts).map { #"{"id":"q\#($0)","messages":[{"role":"user","content":"prompt number \#($0)"}]}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: input))
        #expect(try await CLIRunner.run(["import", input, "--set", "t", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "t", "--run", "--max-tokens", "40", "--logprobs", "5", "--db", db])
        #expect(sweep.status == 0, "stderr: \(sweep.stderr)")
        return (dir, db)
    }

    func sha(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func refusedTargetsExit4AndChangeNothing() async throws {
        let (dir, db) = try await harvested(prompts: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = sha(db)
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        var targets = [db, db + "-wal", db + "-shm", fifo]
        if access("/dev/null", W_OK) == 0 { targets.append("/dev/null") }
        for target in targets {
            let r = try await CLIRunner.run(["export", "--set", "t", "-o", target, "--db", db])
            #expect(r.status == 4, "\(target): \(r.stderr)")
            #expect(r.stderr.contains("refusing to write the export to \(target)"))
        }
        // A folder target that holds other files (the database) is refused as well.
        let r = try await CLIRunner.run(["export", "--set", "t", "-o", dir.path + "/", "--db", db])
        #expect(r.status == 4 && r.stderr.contains("new or empty folder"), "\(r.stderr)")
        #expect(sha(db) == before)
        #expect(try await CLIRunner.run(["status", "--db", db]).status == 0)
        let out = try await CLIRunner.run(["export", "--set", "t", "-o", "-", "--db", db])
        #expect(out.status == 0 && out.stdout.split(separator: "\n").count == 3)
    }

    @Test func gzipReportsBytesOnDiskAndInspectShowsTheId() async throws {
        let (dir, db) = try await harvested(prompts: 30)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.jsonl.gz").path
        let r = try await CLIRunner.run(["export", "--set", "t", "--gzip", "--with-logprobs", "-o", out, "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int)
        #expect(r.stderr.contains("(\(size) bytes on disk, "), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + ".manifest.json"))
        let inspect = try await CLIRunner.run(["inspect", "1", "--json", "--db", db])
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains(#""external_id":"q"#), "\(inspect.stdout.prefix(300))")
    }

    /// SIGKILL at many moments of a split, sharded export: the target folder is absent or complete (with its
    /// manifest) at every instant, and the rerun to the same folder succeeds without manual cleanup.
    @Test func killedFolderExportsLeaveNothingHalfWrittenAndRerunWorks() async throws {
        let (dir, db) = try await harvested(prompts: 400)
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["export", "--set", "t", "--with-logprobs", "--split", "train=0.9,val=0.1", "--shard-rows", "20", "--db", db]
        var sawComplete = false
        var sawAbsent = false
        for (i, delayMs) in [5, 20, 40, 80, 120, 200, 300, 500].enumerated() {
            let out = dir.appendingPathComponent("out\(i)").path
            let p = Process()
            p.executableURL = CLIRunner.binary
            p.arguments = args + ["-o", out]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(delayMs * 1000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let exists = FileManager.default.fileExists(atPath: out)
            let hasManifest = FileManager.default.fileExists(atPath: out + ".manifest.json")
            if exists {
                let names = try FileManager.default.contentsOfDirectory(atPath: out)
                #expect(names.allSatisfy { $0.hasPrefix("data-") && $0.hasSuffix(".jsonl") }, "\(names)")
                #expect(names.count > 10, "a folder in place is complete: \(names.count) files")
                sawComplete = sawComplete || hasManifest
            } else {
                #expect(!hasManifest)
                sawAbsent = true
            }
            if !(exists && hasManifest) {
                let again = try await CLIRunner.run(args + ["-o", out])
                #expect(again.status == 0, "rerun after kill at \(delayMs) ms: \(again.stderr)")
                #expect(FileManager.default.fileExists(atPath: out + ".manifest.json"))
            }
        }
        // Nothing of the killed runs is left beside the folders once another export ran there.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp-") }
        #expect(leftovers == [], "\(leftovers)")
        #expect(sawAbsent || sawComplete)
    }

    /// Ctrl-C (SIGINT) once an export is writing stops it and leaves no file (exit 3), or the export had already finished.
    @Test func interruptStopsTheExportAndLeavesNothing() async throws {
        let (dir, db) = try await harvested(prompts: 400)
        defer { try? FileManager.default.removeItem(at: dir) }
        var interrupted = 0
        for round in 0..<4 {
            let name = "int-\(round)"
            let out = dir.appendingPathComponent(name).path
            let p = Process()
            p.executableURL = CLIRunner.binary
            p.arguments = ["export", "--set", "t", "--with-logprobs", "--gzip", "--split", "train=0.5,val=0.5",
                           "-o", out, "--db", db]
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait until it writes (its staging folder appears beside the target), then interrupt.
            let staging = "." + name + ".harvest-tmp-\(p.processIdentifier)"
            let deadline = Date().addingTimeInterval(10)
            while p.isRunning, !FileManager.default.fileExists(atPath: dir.appendingPathComponent(staging).path), Date() < deadline {
                usleep(500)
            }
            usleep(UInt32(round * 2_000))
            kill(p.processIdentifier, SIGINT)
            p.waitUntilExit()
            #expect(p.terminationReason == .exit, "exits by itself after SIGINT")
            if p.terminationStatus == 3 {
                interrupted += 1
                let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                #expect(!names.contains { $0.hasPrefix(name) || $0.hasPrefix("." + name) }, "\(names)")
            } else {
                #expect(p.terminationStatus == 0)
                #expect(FileManager.default.fileExists(atPath: out + ".manifest.json"))
            }
        }
        print("interrupt test: \(interrupted) of 4 exports stopped by SIGINT (the others had finished)")
    }

    /// An export onto a disk that fills up (a 2 MiB tmpfs, 8 MB of JSONL): a file and a split folder export each
    /// fail with an error that names the file and the cause, exit non-zero, and leave nothing on that disk (no temp
    /// file, no staging folder, no manifest); the database is unchanged and the same export to a roomy disk works.
    @Test func anExportOntoAFullDiskFailsClearlyAndLeavesNothing() async throws {
        guard let disk = SmallDisk.mount(megabytes: 2) else { print(SmallDisk.skipMessage); return }
        defer { disk.unmount() }
        let (dir, db) = try await harvested(prompts: 400)
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = sha(db)
        for (target, extra) in [(disk.dir.appendingPathComponent("x.jsonl").path, [String]()),
                                (disk.dir.appendingPathComponent("folder").path, ["--split", "train=0.5,val=0.5"])] {
            let r = try await CLIRunner.run(["export", "--set", "t", "--with-logprobs", "-o", target, "--db", db] + extra)
            #expect(r.status != 0, "\(target): \(r.stderr)")
            #expect(r.stderr.contains("No space left on device") && r.stderr.contains(disk.dir.path), "\(r.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: disk.dir.path)
            #expect(left.isEmpty, "left on the full disk: \(left)")
        }
        #expect(sha(db) == before)
        let roomy = dir.appendingPathComponent("ok.jsonl").path
        let ok = try await CLIRunner.run(["export", "--set", "t", "--with-logprobs", "-o", roomy, "--db", db])
        #expect(ok.status == 0, "\(ok.stderr)")
        let size = (try? FileManager.default.attributesOfItem(atPath: roomy)[.size] as? Int) ?? 0
        #expect(size > 2 << 20, "the export is larger than the small disk: \(size) bytes")
    }
}
