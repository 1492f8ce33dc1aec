#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PostgresStore
import SQLiteStore
import Testing

/// The write path on PostgreSQL through the real `harvest` binary: `import`, `sweep NAME`, `serve`, `status` and
/// `sweep SET --run` with `--db postgres://…` / `database.url`, against the mock teacher; several daemons on one
/// database. Skipped without `HARVEST_TEST_PG_URL` (`eval "$(bash .ci/pg-start)"`).
@Suite(.serialized, .enabled(if: PostgresScratch.available, PostgresScratch.skipNote))
struct PostgresCLITests {
    static func runId(_ r: CLIRunner.Result) throws -> Int64 {
        guard r.status == 0, let id = Int64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("harvest sweep failed (\(r.status)): \(r.stderr)")
        }
        return id
    }

    /// The latest run of every sweep, read from the database by the test process.
    static func runs(_ pg: PostgresScratch) async throws -> [Int64: RunStatus] {
        let store = try PostgresStore(url: pg.url, connections: 1)
        defer { store.close() }
        return Dictionary(try await store.latestRuns(now: nil).map { ($0.id, $0) }) { a, _ in a }
    }

    static func waitUntilDone(_ pg: PostgresScratch, _ ids: [Int64], seconds: Double = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let runs = try await runs(pg)
            if ids.allSatisfy({ runs[$0]?.done == runs[$0]?.total && runs[$0]?.open == 0 && (runs[$0]?.total ?? 0) > 0 }) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func importQueueServeAndStatusWorkOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let f = try DaemonFixture(latencyMs: 2)
        try f.writePrompts(120)
        try f.writePrompts(30, name: "prompts2.txt")
        try f.writeConfig(maxInFlight: 8, outputPrice: 1)
        try pg.useInConfig(f.configPath)

        // harvest import --db URL: the prompts of sweep "main" before it is queued (the queueing import is then a no-op).
        let imported = try await CLIRunner.run(["import", f.dir.appendingPathComponent("prompts.txt").path, "--set", "main", "--db", pg.url])
        #expect(imported.status == 0 && imported.stdout.contains("120 added"), "\(imported.stderr)")
        let main = try Self.runId(try await f.enqueue("main"))
        #expect(try Self.runId(try await f.enqueue("main")) == main, "queued twice: one run")
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let second = try Self.runId(try await f.enqueue("second"))
        #expect(try await Self.waitUntilDone(pg, [main, second]), "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 60) == 0, "log: \(serve.log)")
        #expect(f.mock.servedFingerprints().count == 150 && f.duplicatedAnswers == 0, "every job answered once")
        let runs = try await Self.runs(pg)
        let run = try #require(runs[main])
        #expect(run.state == .done && run.done == 120 && run.failed == 0)
        #expect(abs(run.spent - 120 * 16 / 1_000_000.0) < 1e-12, "answers charged at the configured price")

        let status = try await CLIRunner.run(["status", "--json", "--config", f.configPath])
        #expect(status.status == 0 && status.stdout.contains("\"state\":\"done\""), "\(status.stderr)")
        let table = try await CLIRunner.run(["status", "--db", pg.url])
        #expect(table.status == 0 && table.stdout.contains(pg.url), "\(table.stderr)")

        // Nothing is paid twice: queued again, and as a foreground sweep of the same teacher and parameters.
        let again = try await f.enqueue("main")
        #expect(again.status == 0 && again.stderr.contains("nothing missing"), "\(again.stderr)")
        let foreground = try await CLIRunner.run(["sweep", "main", "--run", "--config", f.configPath, "--teacher-name", "mock", "--db", pg.url])
        #expect(foreground.status == 0 && foreground.stderr.contains("120 already done"), "\(foreground.stderr)")
        #expect(f.mock.servedFingerprints().values.reduce(0, +) == 150, "no request was sent again")
    }

    @Test func twoDaemonsShareOneQueueAndAnswerEveryJobOnce() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let f = try DaemonFixture(latencyMs: 20)
        try f.writePrompts(400)
        try f.writePrompts(1, name: "prompts2.txt")
        try f.writeConfig(maxInFlight: 4)
        try pg.useInConfig(f.configPath)
        let a = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "a")
        defer { a.stop() }
        let b = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "b")
        defer { b.stop() }
        let run = try Self.runId(try await f.enqueue("main"))
        #expect(try await Self.waitUntilDone(pg, [run]), "logs: \(a.log)\n\(b.log)")
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(await a.waitForExit(seconds: 60) == 0, "log: \(a.log)")
        #expect(await b.waitForExit(seconds: 60) == 0, "log: \(b.log)")
        #expect(f.mock.servedFingerprints().count == 400 && f.duplicatedAnswers == 0, "every job answered exactly once")
        let (fromA, fromB) = (a.answersStored ?? 0, b.answersStored ?? 0)
        #expect(fromA + fromB == 400)
        #expect(fromA > 0 && fromB > 0, "both daemons did work (a: \(fromA), b: \(fromB))")
    }

    static func run(_ pg: PostgresScratch, _ id: Int64) async throws -> RunStatus? { try await runs(pg)[id] }

    /// Polls `condition` on the run until it holds or `seconds` pass.
    static func waitFor(_ pg: PostgresScratch, _ id: Int64, seconds: Double, _ condition: (RunStatus) -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = try await run(pg, id), condition(status) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The daemon's kill -9 test (DaemonTests) on PostgreSQL: the restart on the same host takes the dead daemon's
    /// leases over at once, and at most the requests in flight at the kill are sent twice.
    @Test func sigkillMidSweepARestartFinishesOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        // 800 jobs at 8 × 300 ms take 30 s or more: the kill lands mid-sweep even when this test is starved for
        // seconds between its status polls (on a loaded CI machine 400 jobs at 200 ms were all done by then).
        let f = try DaemonFixture(latencyMs: 300)
        try f.writePrompts(800)
        try f.writePrompts(1, name: "prompts2.txt")
        try f.writeConfig(maxInFlight: 8, leaseSeconds: 30)
        try pg.useInConfig(f.configPath)
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await Self.waitFor(pg, runId, seconds: 60) { $0.done >= 40 }, "log: \(serve.log)")
        serve.signal(SIGKILL)
        _ = await serve.waitForExit(seconds: 10)
        let killed = try #require(try await Self.run(pg, runId))
        #expect(killed.leased > 0 && killed.done < 800, "the killed daemon left leases behind mid-sweep: \(killed)")

        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        #expect(serve.log.contains("took over jobs left leased"), "log: \(serve.log)")
        #expect(try await Self.waitFor(pg, runId, seconds: 240) { $0.done == 800 }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        #expect(f.mock.servedFingerprints().count == 800)
        #expect(f.duplicatedAnswers <= 8, "at most the jobs in flight at the kill were sent twice")
    }

    /// The drain test (DaemonTests) on PostgreSQL: SIGTERM stores what is in flight, hands the rest back, and a
    /// restart finishes without paying twice.
    @Test func sigtermDrainsAndARestartFinishesOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let f = try DaemonFixture(latencyMs: 400)
        try f.writePrompts(200)
        try f.writePrompts(1, name: "prompts2.txt")
        try f.writeConfig(maxInFlight: 8)
        try pg.useInConfig(f.configPath)
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await Self.waitFor(pg, runId, seconds: 60) { $0.done >= 40 }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 60) == 0, "log: \(serve.log)")
        let stopped = try #require(try await Self.run(pg, runId))
        #expect(stopped.leased == 0, "unanswered jobs were handed back")
        #expect(stopped.done < 200, "stopped mid-sweep")
        #expect(f.duplicatedAnswers == 0, "in-flight answers were stored, not dropped")

        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        #expect(try await Self.waitFor(pg, runId, seconds: 120) { $0.done == 200 }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        #expect(f.mock.servedFingerprints().count == 200 && f.duplicatedAnswers == 0)
    }

    /// The budget test (DaemonTests) on PostgreSQL: the run stops within the in-flight cost.
    @Test func aTinyBudgetStopsTheRunOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let f = try DaemonFixture(latencyMs: 20)
        try f.writePrompts(200)
        try f.writePrompts(1, name: "prompts2.txt")
        // 16 completion tokens at 1 per token: 16 per answer; the budget pays for 6.25 answers.
        try f.writeConfig(maxInFlight: 4, budget: 100, outputPrice: 1_000_000)
        try pg.useInConfig(f.configPath)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await Self.waitFor(pg, runId, seconds: 60) { $0.state == .budget }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        let status = try #require(try await Self.run(pg, runId))
        #expect(status.spent >= 100)
        #expect(status.spent <= 100 + 4 * 16, "overshoot is at most the in-flight requests' cost")
        #expect(f.mock.stats().completionsServed <= 7 + 4)
        #expect(status.pending > 150, "the rest waits for the next run")
    }

    @Test func initCreatesTheSchemaAndAConfigNamingTheDatabase() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let f = try DaemonFixture()
        let config = f.dir.appendingPathComponent("init.json").path
        let initialized = try await CLIRunner.run(["init", "--db", pg.url, "--config", config])
        #expect(initialized.status == 0 && initialized.stderr.contains("database ready: \(pg.url)"), "\(initialized.stderr)")
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains("\"database\": {\"url\": \"\(pg.url)\"}"))
        let status = try await CLIRunner.run(["status", "--config", config])
        #expect(status.status == 0 && status.stdout.contains("database \(pg.url)"), "\(status.stderr)")
    }

    @Test func badDatabaseSettingsAreRefusedClearly() async throws {
        let f = try DaemonFixture()
        try f.writePrompts(3)
        try f.writeConfig()
        let text = try String(contentsOfFile: f.configPath, encoding: .utf8)
        // database.path and database.url together.
        try Data(text.replacingOccurrences(of: "\"database\": {\"path\": \"harvest.sqlite\"}",
                                           with: "\"database\": {\"path\": \"harvest.sqlite\", \"url\": \"postgres://u@127.0.0.1/h\"}").utf8)
            .write(to: URL(fileURLWithPath: f.configPath))
        let both = try await f.enqueue("main")
        #expect(both.status == 4 && both.stderr.contains("database.url") && both.stderr.contains("not both"), "\(both.stderr)")
        // A password in the URL: refused, and never echoed.
        let password = try await CLIRunner.run(["status", "--db", "postgres://u:s3cret@127.0.0.1/h"])
        #expect(password.status == 4 && password.stderr.contains("PGPASSWORD") && !password.stderr.contains("s3cret"), "\(password.stderr)")
        // A SQLite-only command given a PostgreSQL URL: refused, no file created.
        let backup = try await CLIRunner.run(["backup", "copy.sqlite", "--db", "postgres://u@127.0.0.1/h"], cwd: f.dir)
        #expect(backup.status == 4 && backup.stderr.contains("pg_dump"), "\(backup.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.appendingPathComponent("postgres:").path))
        #expect(!FileManager.default.fileExists(atPath: f.dir.appendingPathComponent("copy.sqlite").path))
    }
}

/// A fresh PostgreSQL database per test on the cluster of `HARVEST_TEST_PG_URL`, dropped by ``drop()``.
struct PostgresScratch {
    static let adminURL: String? = ProcessInfo.processInfo.environment["HARVEST_TEST_PG_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { adminURL != nil }
    static let skipNote: Comment = "HARVEST_TEST_PG_URL is not set: PostgreSQL CLI tests skipped (eval \"$(bash .ci/pg-start)\" to run them)"

    let url: String
    let name: String

    init() throws {
        guard let admin = Self.adminURL else { throw PostgresError.badURL(reason: "HARVEST_TEST_PG_URL is not set") }
        name = "harvest_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try PostgresConnection(url: PostgresURL(admin)).execute("CREATE DATABASE \(name)")
        guard let scheme = admin.range(of: "://") else { throw PostgresError.badURL(reason: admin) }
        let afterAuthority = admin[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? admin.endIndex
        let query = admin[afterAuthority...].firstIndex(of: "?") ?? admin.endIndex
        url = String(admin[..<afterAuthority]) + "/" + name + String(admin[query...])
    }

    /// Points the fixture's config at this database (`database.url` instead of `database.path`).
    func useInConfig(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pointed = text.replacingOccurrences(of: "\"database\": {\"path\": \"harvest.sqlite\"}", with: "\"database\": {\"url\": \"\(url)\"}")
        guard pointed != text else { throw HarnessError("the fixture config has no database.path to replace") }
        try Data(pointed.utf8).write(to: URL(fileURLWithPath: path))
    }

    func drop() {
        guard let admin = Self.adminURL, let c = try? PostgresConnection(url: PostgresURL(admin)) else { return }
        _ = try? c.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
