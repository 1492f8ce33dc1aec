#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import MockTeacher
import SQLiteStore
import Testing

/// The database on a 20 MiB tmpfs that fills up: every paid answer is stored or rescued, claims stop, and after
/// space is back (and the rescue import) every answer is stored and none was paid twice.
/// Skipped with a message where tmpfs cannot be mounted (not root).
@Suite(.serialized) struct DiskFullTests {
    static let prompts = 120

    /// Answers stored in `database`, read without changing anything.
    static func stored(_ database: String) throws -> Int {
        let db = try SQLiteDatabase(path: database, mode: .readOnly)
        return try db.queryOne("SELECT count(*) FROM responses") { $0.int(0) } ?? -1
    }

    /// Lines (rescued answers) in a rescue file; 0 when it does not exist.
    static func rescued(_ path: String) -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    static func paid(_ mock: MockTeacherServer) -> Int { mock.stats().completionsServed }

    static func duplicates(_ mock: MockTeacherServer) -> Int { mock.servedFingerprints().values.reduce(0) { $0 + max(0, $1 - 1) } }

    /// Imports the prompts into `database` (prompt file in an ordinary temp directory).
    static func importPrompts(_ database: String) async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hdf-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("p.txt").path
        try Data((0..<prompts).map { "question \($0): explain \($0) in detail" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let r = try await CLIRunner.run(["import", file, "--set", "s", "--db", database])
        #expect(r.status == 0, "\(r.stderr)")
    }

    static func sweepArgs(_ database: String, _ mock: MockTeacherServer) -> [String] {
        ["sweep", "s", "--run", "--db", database, "--teacher", mock.baseURL, "--max-tokens", "300", "--logprobs", "5", "--concurrency", "8"]
    }

    @Test func foregroundWithTheReserveStopsClaimingAndLosesNothingFromAReadOnlyDirectory() async throws {
        guard let disk = SmallDisk.mount(megabytes: 20) else { print(SmallDisk.skipMessage); return }
        defer { disk.unmount() }
        guard let readOnly = SmallDisk.mount(megabytes: 1, readOnly: true) else { print(SmallDisk.skipMessage); return }
        defer { readOnly.unmount() }
        let mock = MockTeacherServer(MockTeacherConfiguration())
        _ = try mock.start()
        defer { mock.stop() }
        let database = disk.dir.appendingPathComponent("h.sqlite").path
        try await Self.importPrompts(database)
        // Leave room for the 8 MiB reserve and about 2 MB of answers (~40 KB each).
        let filler = disk.fill(disk.freeBytes - (10 << 20))
        let run = try await CLIRunner.run(Self.sweepArgs(database, mock), cwd: readOnly.dir)
        #expect(run.status == 5, "\(run.stderr)")
        #expect(run.stderr.contains("refused writes") && run.stderr.contains("no new jobs were claimed"), "\(run.stderr)")
        let rescuePath = disk.dir.appendingPathComponent("harvest-rescue.jsonl").path
        let (paid, stored, rescued) = (Self.paid(mock), try Self.stored(database), Self.rescued(rescuePath))
        print("disk full, foreground, 8 MiB reserve: paid \(paid), stored \(stored), rescued \(rescued)")
        #expect(paid == stored + rescued)
        #expect(stored > 0 && stored < Self.prompts, "the disk filled up mid-sweep")
        #expect(!FileManager.default.fileExists(atPath: disk.dir.appendingPathComponent("h.sqlite.reserve").path))

        unlink(filler)
        let again = try await CLIRunner.run(Self.sweepArgs(database, mock), cwd: readOnly.dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.stored(database) == Self.prompts)
        #expect(Self.duplicates(mock) == 0, "no prompt was paid twice")
        print("  after space is back: paid \(Self.paid(mock)) in all, stored \(try Self.stored(database)), re-sent \(Self.duplicates(mock))")
    }

    @Test func foregroundWithoutReserveRescuesToAnotherDiskAndTheNextRunImportsFirst() async throws {
        guard let disk = SmallDisk.mount(megabytes: 20), let other = SmallDisk.mount(megabytes: 20) else { print(SmallDisk.skipMessage); return }
        defer { disk.unmount(); other.unmount() }
        let mock = MockTeacherServer(MockTeacherConfiguration())
        _ = try mock.start()
        defer { mock.stop() }
        let database = disk.dir.appendingPathComponent("h.sqlite").path
        let rescuePath = other.dir.appendingPathComponent("rescue.jsonl").path
        try await Self.importPrompts(database)
        let filler = disk.fill(disk.freeBytes - (2 << 20))
        let args = Self.sweepArgs(database, mock) + ["--rescue-file", rescuePath]
        let run = try await CLIRunner.run(args, environment: ["HARVEST_RESERVE_MB": "0"])
        #expect(run.status == 5, "\(run.stderr)")
        let (paid, stored, rescued) = (Self.paid(mock), try Self.stored(database), Self.rescued(rescuePath))
        print("disk full, foreground, no reserve, rescue on another disk: paid \(paid), stored \(stored), rescued \(rescued)")
        #expect(paid == stored + rescued)
        #expect(rescued > 0, "answers in flight when the disk filled were rescued")
        #expect(run.stderr.contains("rescue.file=\(rescuePath)") && run.stderr.contains("rescue.count="), "\(run.stderr)")
        #expect(run.stderr.contains("\(rescued) paid answers were saved to \(rescuePath)"), "\(run.stderr)")

        unlink(filler)
        let again = try await CLIRunner.run(args, environment: ["HARVEST_RESERVE_MB": "0"])
        #expect(again.stderr.contains("rescue file \(rescuePath): \(rescued) answers read, \(rescued) stored"), "\(again.stderr)")
        // Without the reserve the first run may not have handed its prefetched jobs back (a release is a write too):
        // this run takes them over from the exited process and finishes everything.
        let db = try SQLiteDatabase(path: database, mode: .readOnly)
        let stillLeased = try db.queryOne("SELECT count(*) FROM jobs WHERE state = 'leased'") { $0.int(0) } ?? -1
        #expect(again.status == 0 && stillLeased == 0, "\(again.stderr)")
        #expect(try Self.stored(database) + stillLeased == Self.prompts)
        print("  after space is back: paid \(Self.paid(mock)) in all, stored \(try Self.stored(database)), still leased \(stillLeased), re-sent \(Self.duplicates(mock))")
        #expect(Self.duplicates(mock) == 0, "rescued answers were imported, not paid again")
        #expect(Self.rescued(rescuePath) == 0, "the imported file was moved aside")
    }

    @Test func theDaemonTurnsUnhealthyStoresOrRescuesEverythingAndResumesWhenSpaceIsBack() async throws {
        guard let disk = SmallDisk.mount(megabytes: 20) else { print(SmallDisk.skipMessage); return }
        defer { disk.unmount() }
        try await Self.daemonOnAFullDisk(disk, rescueDisk: nil)
    }

    @Test func theDaemonWithoutReserveRescuesToAnotherDiskAndImportsWhenSpaceIsBack() async throws {
        guard let disk = SmallDisk.mount(megabytes: 20), let other = SmallDisk.mount(megabytes: 20) else { print(SmallDisk.skipMessage); return }
        defer { disk.unmount(); other.unmount() }
        try await Self.daemonOnAFullDisk(disk, rescueDisk: other)
    }

    /// The daemon on `disk` (8 MiB reserve, rescue file beside the database), or without reserve and with its rescue
    /// file on `rescueDisk`.
    static func daemonOnAFullDisk(_ disk: SmallDisk, rescueDisk: SmallDisk?) async throws {
        let f = try DaemonFixture(latencyMs: 5)
        let database = disk.dir.appendingPathComponent("h.sqlite").path
        let rescuePath = (rescueDisk ?? disk).dir.appendingPathComponent("harvest-rescue.jsonl").path
        let metricsPort = DaemonFixture.freePort()
        try f.writePrompts(Self.prompts)
        let config = """
            {
              "database": {"path": "\(database)", "rescue_file": "\(rescuePath)"}, "server": {"metrics_address": "127.0.0.1:\(metricsPort)"},
              "drain_seconds": 10, "lease_seconds": 6, "poll_seconds": 0.1,
              "teachers": [{"name": "mock", "base_url": "http://127.0.0.1:\(f.port)/v1", "model": "mock-teacher",
                            "limits": {"max_in_flight": 8}, "sampling": {"max_tokens": 300, "logprobs": 5}}],
              "sweeps": [{"name": "main", "prompt_file": "prompts.txt", "set": "main", "teacher": "mock"}]
            }
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: f.configPath))
        #expect(try await f.enqueue("main").status == 0)
        let filler = disk.fill(disk.freeBytes - (rescueDisk == nil ? 10 << 20 : 2 << 20))
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir,
                                                 environment: rescueDisk == nil ? [:] : ["HARVEST_RESERVE_MB": "0"])
        defer { serve.stop() }
        #expect(await f.waitUntil(seconds: 60) { httpGet(port: metricsPort, path: "/healthz")?.status == 503 }, "log: \(serve.log)")
        let health = try #require(httpGet(port: metricsPort, path: "/healthz"))
        #expect(health.body.contains("\"database_writable\":false"), "\(health.body)")
        let status = "STATUS=unhealthy: the database refuses writes (disk full); no jobs are claimed until it accepts writes again"
        #expect(await serve.notify.wait(for: status, seconds: 15).found, "systemd hears why")
        // Claims stopped: once the answers in flight are settled, nothing more is paid.
        var paid = -1
        _ = await f.waitUntil(seconds: 20) {
            let now = Self.paid(f.mock)
            defer { paid = now }
            return now == paid && metricValue(httpGet(port: metricsPort, path: "/metrics")?.body ?? "", "harvest_in_flight{teacher=\"mock\"}") == 0
        }
        try await Task.sleep(for: .seconds(1))
        #expect(Self.paid(f.mock) == paid, "no new job was sent while the database refused writes")
        #expect(httpGet(port: metricsPort, path: "/healthz")?.status == 503)
        // Answers that arrived are being committed (three tries) or rescued: wait until every paid one is settled.
        _ = try await f.waitUntil(seconds: 20) { try Self.stored(database) + Self.rescued(rescuePath) == paid }
        let (stored, rescued) = (try Self.stored(database), Self.rescued(rescuePath))
        print("disk full, daemon, \(rescueDisk == nil ? "8 MiB reserve" : "no reserve, rescue on another disk"): paid \(paid), stored \(stored), rescued \(rescued)")
        #expect(paid == stored + rescued)
        #expect(stored < Self.prompts)
        if rescueDisk != nil {
            #expect(rescued > 0, "log: \(serve.log)")
            #expect(serve.log.contains("rescue.file=\(rescuePath)") && serve.log.contains("rescue.count="))
        }

        unlink(filler)
        #expect(await f.waitUntil(seconds: 60) { httpGet(port: metricsPort, path: "/healthz")?.status == 200 }, "log: \(serve.log)")
        #expect(try await f.waitUntil(seconds: 90) { try Self.stored(database) == Self.prompts }, "log: \(serve.log)")
        #expect(serve.log.contains("the database accepts writes again"))
        if rescued > 0 { #expect(serve.log.contains("rescue file imported"), "log: \(serve.log)") }
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0, "log: \(serve.log)")
        #expect(Self.duplicates(f.mock) == 0, "no prompt was paid twice")
        let wal = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "a clean stop leaves no WAL content")
        print("  after space is back: paid \(Self.paid(f.mock)) in all, stored \(try Self.stored(database)), re-sent \(Self.duplicates(f.mock))")
    }
}
