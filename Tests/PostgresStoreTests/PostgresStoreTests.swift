import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore
import Testing

/// What only the PostgreSQL store has: the URL rules, libpq errors, migrations under the advisory lock, `bytea`
/// logprobs in `HLP2`, and setup with SQLite's job keys.
@Suite struct PostgresStoreTests {
    @Test func urlWithPasswordIsRefusedAndRedacted() throws {
        #expect(throws: PostgresError.self) { try PostgresURL("postgres://user:secret@db.example/harvest") }
        #expect(throws: PostgresError.self) { try PostgresURL("postgresql://db.example/harvest?sslmode=require&password=secret") }
        #expect(throws: PostgresError.self) { try PostgresURL("/var/lib/harvest.sqlite") }
        _ = try PostgresURL("postgresql://user@db.example:5433/harvest?sslmode=require")
        let refused = #expect(throws: PostgresError.self) { try PostgresURL("postgres://user:secret@db.example/harvest") }
        #expect(!"\(String(describing: refused))".contains("secret"))
        #expect("\(String(describing: refused))".contains("PGPASSWORD"))
        #expect(PostgresURL.redact("postgres://u:pw@h:1/d?password=pw&x=1") == "postgres://u:***@h:1/d?password=***&x=1")
    }

    @Test func refusedConnectionNamesTheServer() throws {
        // Port 9 (discard) on loopback has no PostgreSQL: the error names where and what to check.
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(url: PostgresURL("postgresql://nobody@127.0.0.1:9/harvest?connect_timeout=5"))
        }
        guard case .connect(let url, _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(url.contains("127.0.0.1:9"))
        #expect("\(error!)".contains("PGPASSWORD"))
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func failedStatementCarriesSQLAndSQLState() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let c = try PostgresConnection(url: PostgresURL(db.url))
        let error = #expect(throws: PostgresError.self) {
            try c.execute("SELECT * FROM no_such_table WHERE id = $1", [.int(1)])
        }
        #expect(error?.sqlstate == "42P01")
        #expect("\(String(describing: error))".contains("no_such_table"))
        // The connection stays usable, and parameters of every kind go through unchanged.
        let r = try c.execute("SELECT $1::bigint, $2::float8, $3::text, $4::bytea, $5::text IS NULL",
                              [.int(-42), .double(0.1), .text("é\u{1F600}'\""), .bytes([0, 255, 10, 92]), .null])
        #expect(try r.int64(0, 0) == -42)
        #expect(try r.optionalDouble(0, 1) == 0.1)
        #expect(try r.text(0, 2) == "é\u{1F600}'\"")
        #expect(try r.bytes(0, 3) == [0, 255, 10, 92])
        #expect(try r.text(0, 4) == "t")
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func storesStartingTogetherMigrateOnce() async throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let url = db.url
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try PostgresStore(url: url, connections: 1) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { stores.forEach { $0.close() } }
        #expect(stores.count == 4)
        for s in stores { #expect(try await s.schemaVersion() == PostgresMigrations.latestVersion) }
        let c = try PostgresConnection(url: PostgresURL(url))
        #expect(try c.execute("SELECT value FROM meta WHERE key = 'schema_version'").text(0, 0) == "\(PostgresMigrations.latestVersion)")
        #expect(try c.execute("SELECT count(*) FROM meta WHERE key = 'created_at'").int(0, 0) == 1)
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func newerSchemaIsRefused() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        try PostgresStore(url: db.url).close()
        let c = try PostgresConnection(url: PostgresURL(db.url))
        try c.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        #expect(throws: StoreError.self) { try PostgresStore(url: db.url) }
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func logprobsRoundTripAsHLP2WithASharedVocabulary() async throws {
        let f = try PostgresFixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 2, samples: 1, baseURL: "http://127.0.0.1:9/v1")
        let a = try await f.store(), b = try await f.store()
        let ja = try #require(try await a.claimJobs(sweepId: sweep, owner: "a", limit: 1, leaseSeconds: 60).first)
        let jb = try #require(try await b.claimJobs(sweepId: sweep, owner: "b", limit: 1, leaseSeconds: 60).first)
        let (attemptA, answerA) = JobStoreConformanceTests.answer(ja.id, "the same few words")
        let (attemptB, answerB) = JobStoreConformanceTests.answer(jb.id, "the same other words")
        async let one: Void = a.commitSuccess(attemptA, response: answerA)
        async let two: Void = b.commitSuccess(attemptB, response: answerB)
        _ = try await (one, two)
        let store = try PostgresStore(url: f.database.url)
        defer { store.close() }
        for (job, sent) in [(ja.id, answerA), (jb.id, answerB)] {
            let stored = try #require(try await store.answer(jobId: job))
            #expect(stored.logprobFormat == "HLP2")
            #expect(stored.logprobs == sent.choice.logprobs)
            #expect(stored.completionTokens == 4)
        }
        // Both stores appended to one vocabulary, each key once ("the", "same", "words" and "x0".."x3" are shared).
        let c = try PostgresConnection(url: PostgresURL(f.database.url))
        let vocab = try c.execute("SELECT count(*), count(DISTINCT entry) FROM logprob_vocab")
        #expect(try vocab.int(0, 0) == vocab.int(0, 1))
        #expect(try vocab.int(0, 0) == 9, "the, same, few, other, words, x0, x1, x2, x3")
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func setupGivesTheJobKeysOfSQLite() async throws {
        let pg = try PostgresFixture(), lite = try SQLiteFixture()
        defer { pg.cleanup(); lite.cleanup() }
        let url = "http://127.0.0.1:9/v1"
        let pgSweep = try await pg.sweep(prompts: 40, samples: 3, baseURL: url)
        let liteSweep = try await lite.sweep(prompts: 40, samples: 3, baseURL: url)
        let pgKeys = try await JobStoreConformanceTests.drainJobs(try await pg.store(), sweep: pgSweep).map(\.key)
        let liteKeys = try await JobStoreConformanceTests.drainJobs(try await lite.store(), sweep: liteSweep).map(\.key)
        #expect(pgKeys.count == 120)
        #expect(Set(pgKeys) == Set(liteKeys))

        // Re-running setup is a no-op; a conflicting import leaves the database as it was.
        let store = try PostgresStore(url: pg.database.url)
        defer { store.close() }
        let again = try await store.importPrompts(setName: "s", prompts: conformancePrompts(40), sourceName: "gen")
        #expect(again.added == 0 && again.unchanged == 40)
        let rerun = try await store.createSweep(name: "s", setName: "s", teacher: conformanceTeacher(url), params: conformanceParams, samples: 3)
        #expect(rerun.newJobs == 0 && rerun.totalJobs == 120)
        var changed = conformancePrompts(41)
        changed[3].messages = [ChatMessage(role: "user", content: "something else")]
        await #expect(throws: StoreError.self) { try await store.importPrompts(setName: "s", prompts: changed, sourceName: "gen") }
        let c = try PostgresConnection(url: PostgresURL(pg.database.url))
        #expect(try c.execute("SELECT count(*) FROM set_members").int(0, 0) == 40, "the failed import kept nothing")
        await #expect(throws: StoreError.self) {
            try await store.createSweep(name: "s", setName: "s", teacher: conformanceTeacher(url), params: SamplingParams(maxTokens: 5), samples: 3)
        }
    }
}

extension JobStoreConformanceTests {
    /// Claims every job of the sweep.
    static func drainJobs(_ store: any JobStore, sweep: Int64) async throws -> [Job] {
        var jobs: [Job] = []
        while true {
            let batch = try await store.claimJobs(sweepId: sweep, owner: "drain", limit: 50, leaseSeconds: 600)
            if batch.isEmpty { return jobs }
            jobs += batch
        }
    }
}
