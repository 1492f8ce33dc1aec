#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
import Testing
@testable import SQLiteStore

/// How long the prompt-identity migration takes on a large v3 file; run with
/// `HARVEST_BENCH=1 swift test --filter RekeyBenchTests`.
@Suite(.enabled(if: getenv("HARVEST_BENCH") != nil), .serialized)
struct RekeyBenchTests {
    @Test func rekeyFiftyThousandPromptsTwoHundredThousandJobs() throws {
        let dir = TempDir()
        let prompts = 50_000, samples = 4
        let canonical = SamplingParams(maxTokens: 256, temperature: 0.7, topLogprobs: 5).canonicalJSON
        do {
            let db = try SQLiteDatabase(path: dir.db, mode: .readWriteCreate)
            try db.execute("PRAGMA journal_mode = WAL")
            try db.transaction(.immediate) {
                for m in Migrations.all.prefix(3) { try db.execute(m) }
                try db.execute("PRAGMA user_version = 3")
                try db.execute("INSERT INTO prompt_sets(id, name, created_at) VALUES(1, 's', 0)")
                try db.execute("INSERT INTO teachers(id, name, base_url, model, kind) VALUES(1, 'http://h:8000/v1', 'http://h:8000/v1', 'm', 'chat')")
                try db.with("INSERT INTO param_sets(id, canonical) VALUES(1, ?1)") { s in try s.bind(canonical, at: 1); try s.run() }
                let insertPrompt = try db.prepare("INSERT INTO prompts(id, hash, messages, created_at) VALUES(?1, ?2, ?3, 0)")
                let insertJob = try db.prepare("""
                    INSERT INTO jobs(key, prompt_id, teacher_id, param_set_id, sample_index, state, created_at, updated_at)
                    VALUES(?1, ?2, 1, 1, ?3, 'done', 0, 0)
                    """)
                for p in 1...prompts {
                    let messages = [ChatMessage(role: "user", content: "Question number \(p): explain the idea in a few sentences, with an example.")]
                    let legacy = PromptHash.legacyHash(messages)
                    try insertPrompt.bind(Int64(p), at: 1); try insertPrompt.bind(blob: legacy, at: 2)
                    try insertPrompt.bind(ChatMessage.jsonArray(messages), at: 3); try insertPrompt.run(); insertPrompt.reset()
                    for i in 0..<samples {
                        let key = JobKey.make(promptHash: legacy, model: "m", teacherName: "http://h:8000/v1", kind: .chat, canonicalParams: canonical, sampleIndex: i)
                        try insertJob.bind(blob: key, at: 1); try insertJob.bind(Int64(p), at: 2); try insertJob.bind(i, at: 3)
                        try insertJob.run(); insertJob.reset()
                    }
                }
            }
        }
        let start = unixNow()
        let store = try SQLiteStore(path: dir.db)
        let seconds = unixNow() - start
        #expect(try store.counts()["jobs"] == prompts * samples)
        print("prompt-identity migration: \(prompts) prompts, \(prompts * samples) jobs re-keyed in \((seconds * 100).rounded() / 100) s "
              + "(\(Int(Double(prompts * samples) / seconds)) jobs/s)")
    }
}
