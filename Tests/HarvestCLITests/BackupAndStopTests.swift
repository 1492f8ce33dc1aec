#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MockTeacher
import SQLiteStore
import Testing

/// Clean stops checkpoint the WAL (the main file alone is a full copy), `harvest backup` copies a live database,
/// a stop does not wait for a slow teacher past the drain deadline, and read-only commands leave foreign files alone.
@Suite(.serialized) struct BackupAndStopTests {
    static func count(_ path: String, _ table: String = "responses") throws -> Int {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        return try db.queryOne("SELECT count(*) FROM \(table)") { $0.int(0) } ?? -1
    }

    static func walSize(_ database: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
    }

    static func prepare(_ f: DaemonFixture, prompts: Int) async throws -> String {
        try f.writePrompts(prompts)
        let r = try await CLIRunner.run(["import", f.dir.appendingPathComponent("prompts.txt").path, "--set", "s", "--db", f.database])
        #expect(r.status == 0, "\(r.stderr)")
        return f.database
    }

    /// Starts `harvest sweep s --run` as a child process (stderr to a file); returns the process.
    static func startSweep(_ f: DaemonFixture, extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = CLIRunner.binary
        p.arguments = ["sweep", "s", "--run", "--db", f.database, "--teacher", "http://127.0.0.1:\(f.port)/v1", "--concurrency", "4"] + extra
        p.standardOutput = FileHandle.nullDevice
        let log = f.dir.appendingPathComponent("sweep.log").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        return p
    }

    @Test func aStoppedSweepLeavesNoWALAndTheMainFileAloneHoldsEveryAnswer() async throws {
        let f = try DaemonFixture(latencyMs: 100)
        let database = try await Self.prepare(f, prompts: 400)
        let sweep = try Self.startSweep(f)
        #expect(await f.waitUntil(seconds: 60) { (try? Self.count(database)) ?? 0 >= 40 })
        kill(sweep.processIdentifier, SIGTERM)
        while sweep.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(sweep.terminationStatus == 3)
        #expect(Self.walSize(database) == 0, "the clean stop checkpointed and truncated the WAL")
        let copy = f.dir.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: database, toPath: copy)
        let paid = f.mock.stats().completionsServed
        #expect(try Self.count(copy) == paid, "the copied main file holds every paid answer")
        #expect(f.duplicatedAnswers == 0)
    }

    @Test func backupWhileASweepRunsIsCompleteAndRefusesTheLiveDatabase() async throws {
        let f = try DaemonFixture(latencyMs: 50)
        let database = try await Self.prepare(f, prompts: 600)
        let sweep = try Self.startSweep(f)
        defer { if sweep.isRunning { kill(sweep.processIdentifier, SIGKILL) } }
        #expect(await f.waitUntil(seconds: 60) { (try? Self.count(database)) ?? 0 >= 50 })
        let before = try Self.count(database)
        let dest = f.dir.appendingPathComponent("backup.sqlite").path
        let r = try await CLIRunner.run(["backup", dest, "--db", database])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sweep.isRunning, "the backup ran while the sweep was sending")
        let copy = try SQLiteDatabase(path: dest, mode: .readOnly)
        #expect(try copy.pragma("integrity_check") == "ok")
        let copied = try Self.count(dest)
        #expect(copied >= before, "every answer committed before the backup began is in the copy (\(copied) ≥ \(before))")
        #expect(try Self.count(dest, "jobs") == 600)
        #expect(r.stderr.contains("integrity ok"))

        let refused = try await CLIRunner.run(["backup", database, "--db", database])
        #expect(refused.status == 4 && refused.stderr.contains("live database"), "\(refused.stderr)")
        let wal = try await CLIRunner.run(["backup", database + "-wal", "--db", database])
        #expect(wal.status == 4, "\(wal.stderr)")
        let dir = try await CLIRunner.run(["backup", f.dir.path, "--db", database])
        #expect(dir.status == 4 && dir.stderr.contains("directory"), "\(dir.stderr)")
        kill(sweep.processIdentifier, SIGTERM)
        while sweep.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try Self.count(database) > 0)
    }

    @Test func oneSignalDoesNotWaitForASlowTeacherPastTheDrainDeadline() async throws {
        let f = try DaemonFixture(latencyMs: 30_000)
        let database = try await Self.prepare(f, prompts: 8)
        let sweep = try Self.startSweep(f, extra: ["--drain-seconds", "1", "--timeout", "600"])
        defer { if sweep.isRunning { kill(sweep.processIdentifier, SIGKILL) } }
        #expect(await f.waitUntil(seconds: 20) { (try? Self.count(database, "jobs WHERE state = 'leased'")) ?? 0 >= 4 })
        try await Task.sleep(for: .milliseconds(300))
        let stopped = Date()
        kill(sweep.processIdentifier, SIGTERM)
        while sweep.isRunning, Date().timeIntervalSince(stopped) < 20 { try await Task.sleep(for: .milliseconds(20)) }
        let seconds = Date().timeIntervalSince(stopped)
        #expect(!sweep.isRunning && sweep.terminationStatus == 3)
        #expect(seconds >= 1 && seconds < 10, "waited for --drain-seconds, then abandoned the requests (\(seconds) s)")
        #expect(try Self.count(database, "jobs WHERE state = 'pending'") == 8, "the abandoned jobs were handed back")
    }

    @Test func statusRefusesAForeignSQLiteFileAndLeavesItAsItWas() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.url.appendingPathComponent("other.db").path
        do {
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES('keep me');")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(before[18] == 1 && before[19] == 1, "rollback journal mode to start with")
        for args in [["status"], ["export", "-o", "-"], ["backup", dir.url.appendingPathComponent("b.db").path]] {
            let r = try await CLIRunner.run(args + ["--db", path])
            #expect(r.status == 5, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("is not a harvest database"), "\(args): \(r.stderr)")
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after == before, "the file was not changed (no WAL mode, no harvest tables)")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }
}

/// A temporary directory for one test.
struct TempDirectory {
    let url: URL
    init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hbs-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
