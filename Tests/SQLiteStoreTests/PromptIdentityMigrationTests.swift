#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
import Testing
@testable import SQLiteStore

/// A schema-version-3 database written the old way (legacy prompt hash, URL identity with credentials, jobs keyed
/// from both) is re-keyed by the prompt-identity migration so that the identical sweep sends nothing again.
@Suite struct PromptIdentityMigrationTests {
    static let secretURL = "http://user:s3cretpw@127.0.0.1:8000/v1?api_key=QKEY123"
    static let params = SamplingParams(maxTokens: 16, temperature: 0.5, topLogprobs: 2)
    static let conversations: [[ChatMessage]] = [
        [ChatMessage(role: "user", content: "a\u{0}assistant\u{0}x\u{0}user\u{0}b")],
        [ChatMessage(role: "system", content: "terse"), ChatMessage(role: "user", content: "2+2?")],
        [ChatMessage(role: "user", content: "hello")],
    ]

    /// Builds the v3 file with the statements and formulas of the old code path.
    static func buildV3(_ path: String) throws {
        let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try db.transaction(.immediate) {
            for m in Migrations.all.prefix(3) { try db.execute(m) }
            try db.execute("INSERT INTO meta(key, value) VALUES('schema_version', '3')")
            try db.execute("PRAGMA user_version = 3")
            try db.execute("INSERT INTO prompt_sets(id, name, created_at) VALUES(1, 'old', 0)")
            try db.with("INSERT INTO teachers(id, name, base_url, model, kind) VALUES(1, ?1, ?1, 'm', 'chat')") { s in
                try s.bind(secretURL, at: 1); try s.run()
            }
            try db.with("INSERT INTO param_sets(id, canonical) VALUES(1, ?1)") { s in try s.bind(params.canonicalJSON, at: 1); try s.run() }
            try db.execute("INSERT INTO sweeps(id, name, set_id, teacher_id, param_set_id, samples, created_at) VALUES(1, 'old:m:abcdef', 1, 1, 1, 2, 0)")
            var jobId: Int64 = 0
            for (i, messages) in conversations.enumerated() {
                let legacy = PromptHash.legacyHash(messages)
                try db.with("INSERT INTO prompts(id, hash, messages, created_at) VALUES(?1, ?2, ?3, 0)") { s in
                    try s.bind(Int64(i + 1), at: 1); try s.bind(blob: legacy, at: 2); try s.bind(ChatMessage.jsonArray(messages), at: 3); try s.run()
                }
                try db.with("INSERT INTO set_members(set_id, external_id, prompt_id) VALUES(1, ?1, ?2)") { s in
                    try s.bind("p\(i)", at: 1); try s.bind(Int64(i + 1), at: 2); try s.run()
                }
                for sample in 0..<2 {
                    jobId += 1
                    // The old key: legacy prompt hash, the URL (credentials and all) as the identity.
                    let key = JobKey.make(promptHash: legacy, model: "m", teacherName: secretURL, kind: .chat,
                                          canonicalParams: params.canonicalJSON, sampleIndex: sample)
                    try db.with("""
                        INSERT INTO jobs(id, key, prompt_id, teacher_id, param_set_id, sample_index, state, created_at, updated_at)
                        VALUES(?1, ?2, ?3, 1, 1, ?4, ?5, 0, 0)
                        """) { s in
                        try s.bind(jobId, at: 1); try s.bind(blob: key, at: 2); try s.bind(Int64(i + 1), at: 3); try s.bind(sample, at: 4)
                        try s.bind(jobId == 6 ? "pending" : "done", at: 5); try s.run()
                    }
                    try db.with("INSERT INTO sweep_jobs(sweep_id, job_id) VALUES(1, ?1)") { s in try s.bind(jobId, at: 1); try s.run() }
                    if jobId != 6 {
                        try db.with("INSERT INTO attempts(id, job_id, started_at, latency_ms, http_status, outcome) VALUES(?1, ?1, 0, 1, 200, 'success')") { s in
                            try s.bind(jobId, at: 1); try s.run()
                        }
                        try db.with("""
                            INSERT INTO responses(job_id, attempt_id, choice_index, content, received_at) VALUES(?1, ?1, 0, 'answer', 0)
                            """) { s in try s.bind(jobId, at: 1); try s.run() }
                    }
                }
            }
        }
    }

    /// The file's bytes as (lossy) text, for searching.
    static func fileText(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func reKeysWithoutPayingAgainAndDropsCredentials() throws {
        let dir = TempDir()
        try Self.buildV3(dir.db)
        let store = try SQLiteStore(path: dir.db)
        #expect(try Fixtures.scalar(dir.db, "PRAGMA user_version") == Int64(Migrations.latestVersion))
        #expect(try store.metaValue(PromptRekey.marker) == nil)

        let raw = try SQLiteDatabase(path: dir.db, mode: .readOnly)
        // Prompts carry the canonical hash now.
        for (i, messages) in Self.conversations.enumerated() {
            let hash = try raw.queryOne("SELECT hash FROM prompts WHERE id = ?1", bind: { try $0.bind(Int64(i + 1), at: 1) }) { $0.blob(0) }
            #expect(hash == PromptHash.hash(messages))
        }
        // No credentials in the teacher row; the identity is the redacted URL.
        let teacher = try #require(try raw.queryOne("SELECT name, base_url FROM teachers") { ($0.string(0), $0.string(1)) })
        #expect(teacher.0 == "http://127.0.0.1:8000/v1")
        #expect(teacher.1 == "http://127.0.0.1:8000/v1")

        // The identical command, against the teacher on another port: the stored identity is found and adopted.
        let adopted = try #require(try store.legacyTeacherIdentity(setName: "old", model: "m", kind: .chat, canonicalParams: Self.params.canonicalJSON))
        #expect(adopted == "http://127.0.0.1:8000/v1")
        let moved = TeacherEndpoint(baseURL: "http://127.0.0.1:8111/v1", model: "m", name: adopted)
        let again = try store.createSweep(name: "old:m:abcdef", setName: "old", teacher: moved, params: Self.params, samples: 2)
        #expect(again.newJobs == 0, "every job was found under its re-computed key")
        #expect(again.totalJobs == 6)
        #expect(again.alreadyDone == 5)
        #expect(try store.counts()["jobs"] == 6)
        // Under the new default identity the set's answers are reported (SweepIdentity turns this into a warning).
        let answered = try store.answeredIdentities(setName: "old", model: "m", kind: .chat)
        #expect(answered.map(\.name) == ["http://127.0.0.1:8000/v1"])
        #expect(answered.map(\.answers) == [5])
        store.close()

        // The secret is gone from the file's bytes too (freed space zeroed during the migration).
        let rw = try SQLiteDatabase(path: dir.db, mode: .readWrite)
        try rw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let bytes = Self.fileText(dir.db)
        #expect(bytes.count > 4096)
        #expect(!bytes.contains("s3cretpw"))
        #expect(!bytes.contains("QKEY123"))
    }

    @Test func rescueFileWithAnOldKeyStillFindsItsJob() async throws {
        let dir = TempDir()
        try Self.buildV3(dir.db)
        let store = try SQLiteStore(path: dir.db)
        // Job 6 (prompt 3, sample 1) was pending; an older version rescued its answer under the old key.
        let oldKey = JobKey.make(promptHash: PromptHash.legacyHash(Self.conversations[2]), model: "m", teacherName: Self.secretURL,
                                 kind: .chat, canonicalParams: Self.params.canonicalJSON, sampleIndex: 1)
        let counts = try await store.importRescued([RescuedAnswer(jobKey: oldKey, attempt: Fixtures.attempt(0), response: Fixtures.response(0))])
        #expect(counts.stored == 1)
        #expect(counts.unknown.isEmpty)
        #expect(try store.responseCount(jobId: 6) == 1)
    }

    @Test func colliderImportedAfterMigrationIsItsOwnPrompt() throws {
        let dir = TempDir()
        try Self.buildV3(dir.db)
        let store = try SQLiteStore(path: dir.db)
        // The 3-turn conversation that collided with prompt 1 under the old hash is a new prompt now.
        let three = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "x"), ChatMessage(role: "user", content: "b")]
        let summary = try store.importPrompts(setName: "new", prompts: [
            PromptInput(externalId: "one", messages: Self.conversations[0], source: InputLocation(file: "f", line: 1)),
            PromptInput(externalId: "three", messages: three, source: InputLocation(file: "f", line: 2)),
        ], sourceName: "f")
        #expect(summary.added == 2)
        #expect(try store.counts()["prompts"] == 4, "the NUL prompt is found again (no duplicate); the 3-turn one is new")
    }
}
