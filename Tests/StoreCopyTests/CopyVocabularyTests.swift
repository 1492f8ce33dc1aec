import Foundation
import HarvestCore
import SQLiteStore
import StoreCopy
import Testing

/// Logprobs travel by index rewriting (`harvest db copy`): a source whose vocabulary numbering differs from what the
/// target gives (spread out and reversed) arrives decoding to the same tokens bit for bit with a dense SQLite
/// vocabulary and byte-identical exports; a copy with the same numbering moves blobs untouched; and the verification
/// catches a target row changed afterwards (one logprob byte, two vocabulary entries swapped, one double's last bit).
@Suite(.serialized) struct CopyVocabularyTests {
    @Test func aVocabularyNumberedOtherwiseArrivesDenseAndDecodesBitIdentical() async throws {
        let f = try HarvestFixture()
        defer { f.remove() }
        let original = try await offPool { try f.harvest("o.sqlite") }
        let sparse = f.path("sparse.sqlite")
        try Self.copyFile(original, sparse)
        let renumbered = try Self.renumber(sparse) { count, i in (count - 1 - i) * 3 + 5 }
        #expect(renumbered > 0)

        var targets = [f.path("dense.sqlite")]
        let pg = CopyTestDatabase.available ? try CopyTestDatabase() : nil
        defer { pg?.drop() }
        if let pg {
            // Through PostgreSQL too: it keeps the spread-out numbering, the way back to SQLite makes it dense.
            let there = try await offPool { try HarvestFixture.run(["db", "copy", "--from", sparse, "--to", pg.url]) }
            #expect(there.status == 0 && there.stderr.contains("verified"), "\(there.stderr)")
            let back = f.path("via-pg.sqlite")
            let home = try await offPool { try HarvestFixture.run(["db", "copy", "--from", pg.url, "--to", back]) }
            #expect(home.status == 0 && home.stderr.contains("verified"), "\(home.stderr)")
            targets.append(back)
        }
        let dense = targets[0]
        let direct = try await offPool { try HarvestFixture.run(["db", "copy", "--from", sparse, "--to", dense]) }
        #expect(direct.status == 0 && direct.stderr.contains("verified"), "\(direct.stderr)")

        let expected = try Self.decodedLogprobs(original)
        #expect(expected.count == 12)
        for target in targets {
            let db = try SQLiteDatabase(path: target, mode: .readOnly)
            let (count, end) = try db.queryOne("SELECT count(*), max(idx) + 1 FROM logprob_vocab") { ($0.int(0), $0.int(1)) } ?? (0, 0)
            #expect(count > 0 && count == end, "\(target): the vocabulary is dense")
            #expect(try Self.decodedLogprobs(target) == expected, "\(target)")
            for format in [["--format", "raw", "--with-logprobs", "--include-dropped"], ["--format", "openai", "--include-dropped"]] {
                let x = f.path("x.jsonl"), y = f.path("y.jsonl")
                _ = try await offPool { try HarvestFixture.check(["export", "--set", "demo"] + format + ["-o", x, "--db", original]) }
                _ = try await offPool { try HarvestFixture.check(["export", "--set", "demo"] + format + ["-o", y, "--db", target]) }
                let ex = try Data(contentsOf: URL(fileURLWithPath: x)), ey = try Data(contentsOf: URL(fileURLWithPath: y))
                #expect(ex == ey && ex.count > 1000, "\(target) \(format): \(ex.count) vs \(ey.count) bytes")
                try? FileManager.default.removeItem(atPath: x)
                try? FileManager.default.removeItem(atPath: y)
            }
        }
    }

    @Test func theVerificationCatchesACorruptedTargetRow() async throws {
        let f = try HarvestFixture()
        defer { f.remove() }
        let original = try await offPool { try f.harvest("o.sqlite") }
        let copy = f.path("copy.sqlite")
        let first = try await offPool { try HarvestFixture.run(["db", "copy", "--from", original, "--to", copy]) }
        #expect(first.status == 0 && first.stderr.contains("verified"), "\(first.stderr)")
        // The same numbering on both sides: blobs were moved untouched.
        #expect(try Self.blobs(copy) == Self.blobs(original))

        let corruptions: [(table: String, sql: (SQLiteDatabase) throws -> Void)] = [
            ("responses", { db in
                // One logprob byte (a blob's last byte is a value's payload): still a well-formed blob.
                let (id, blob) = try #require(try db.queryOne("SELECT id, logprobs FROM responses WHERE logprobs IS NOT NULL ORDER BY id") {
                    ($0.int64(0), $0.blob(1))
                })
                var changed = blob
                changed[changed.count - 1] ^= 0x01
                try db.with("UPDATE responses SET logprobs = ?1 WHERE id = ?2") { s in
                    try s.bind(blob: changed, at: 1); try s.bind(id, at: 2); try s.run()
                }
            }),
            ("responses", { db in
                // Two vocabulary entries swapped: every blob still decodes, to other tokens.
                let keys = try db.with("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = 1 AND idx IN (0, 1) ORDER BY idx") { s in
                    var out: [[UInt8]] = []
                    while try s.step() { out.append(s.blob(1)) }
                    return out
                }
                try #require(keys.count == 2)
                for (idx, key) in [(0, keys[1]), (1, keys[0])] {
                    try db.with("UPDATE logprob_vocab SET entry = ?1 WHERE teacher_id = 1 AND idx = ?2") { s in
                        try s.bind(blob: key, at: 1); try s.bind(idx, at: 2); try s.run()
                    }
                }
            }),
            ("attempts", { db in
                // One double's last bit.
                let (id, latency) = try #require(try db.queryOne("SELECT id, latency_ms FROM attempts ORDER BY id") { ($0.int64(0), $0.double(1)) })
                try db.with("UPDATE attempts SET latency_ms = ?1 WHERE id = ?2") { s in
                    try s.bind(Double(bitPattern: latency.bitPattern ^ 1), at: 1); try s.bind(id, at: 2); try s.run()
                }
            }),
        ]
        for (n, corruption) in corruptions.enumerated() {
            let bad = f.path("bad-\(n).sqlite")
            try Self.copyFile(copy, bad)
            try corruption.sql(try SQLiteDatabase(path: bad, mode: .readWrite))
            let check = try await offPool { try HarvestFixture.run(["db", "copy", "--from", original, "--to", bad]) }
            #expect(check.status == 1, "corruption \(n): \(check.stderr)")
            let flagged = check.stderr.split(separator: "\n").filter { $0.contains("DIFFERS") }
            #expect(flagged.count == 1 && flagged[0].contains(corruption.table), "corruption \(n): \(check.stderr)")
        }
    }

    /// Renumbers every teacher's vocabulary of a SQLite harvest in place (index i of n becomes `number(n, i)`),
    /// rewriting its `HLP2` blobs by decoding and encoding them again (not by the copier's index rewrite).
    /// Returns the number of blobs rewritten.
    static func renumber(_ path: String, _ number: (Int, Int) -> Int) throws -> Int {
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        var vocabularies: [Int64: [Int: [UInt8]]] = [:]
        try db.with("SELECT teacher_id, idx, entry FROM logprob_vocab") { s in
            while try s.step() { vocabularies[s.int64(0), default: [:]][s.int(1)] = s.blob(2) }
        }
        let rows = try db.with("SELECT r.id, j.teacher_id, r.logprobs FROM responses r JOIN jobs j ON j.id = r.job_id WHERE r.logprobs IS NOT NULL") { s in
            var out: [(Int64, Int64, [UInt8])] = []
            while try s.step() { out.append((s.int64(0), s.int64(1), s.blob(2))) }
            return out
        }
        var rewritten = 0
        try db.transaction {
            for (id, teacher, blob) in rows where LogprobCodec.isVersion2(blob) {
                let vocabulary = vocabularies[teacher] ?? [:]
                let entries = try vocabulary.mapValues { try LogprobCodec.VocabularyEntry(key: $0) }
                let tokens = try LogprobCodec.decode(blob) { entries[$0] }
                let newIndex = Dictionary(uniqueKeysWithValues: vocabulary.map { ($0.value, number(vocabulary.count, $0.key)) })
                let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
                let again = table.encode(vocabularyIndex: table.keys.map { newIndex[$0]! })
                try db.with("UPDATE responses SET logprobs = ?1 WHERE id = ?2") { s in
                    try s.bind(blob: again, at: 1); try s.bind(id, at: 2); try s.run()
                }
                rewritten += 1
            }
            try db.execute("DELETE FROM logprob_vocab")
            for (teacher, vocabulary) in vocabularies {
                for (i, key) in vocabulary {
                    try db.with("INSERT INTO logprob_vocab(teacher_id, idx, entry) VALUES(?1, ?2, ?3)") { s in
                        try s.bind(teacher, at: 1); try s.bind(number(vocabulary.count, i), at: 2); try s.bind(blob: key, at: 3); try s.run()
                    }
                }
            }
        }
        return rewritten
    }

    /// Every answer's logprobs decoded with its database's vocabulary, as `HLP1` bytes (every bit compared), by id.
    static func decodedLogprobs(_ path: String) throws -> [Int64: [UInt8]] {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        var vocabularies: [Int64: [Int: LogprobCodec.VocabularyEntry]] = [:]
        try db.with("SELECT teacher_id, idx, entry FROM logprob_vocab") { s in
            while try s.step() { vocabularies[s.int64(0), default: [:]][s.int(1)] = try LogprobCodec.VocabularyEntry(key: s.blob(2)) }
        }
        return try db.with("SELECT r.id, j.teacher_id, r.logprobs FROM responses r JOIN jobs j ON j.id = r.job_id WHERE r.logprobs IS NOT NULL") { s in
            var out: [Int64: [UInt8]] = [:]
            while try s.step() {
                let vocabulary = vocabularies[s.int64(1)] ?? [:]
                out[s.int64(0)] = LogprobCodec.encode(try LogprobCodec.decode(s.blob(2)) { vocabulary[$0] })
            }
            return out
        }
    }

    /// Copies a SQLite file (with its WAL, if one was left).
    static func copyFile(_ from: String, _ to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
        if FileManager.default.fileExists(atPath: from + "-wal") { try FileManager.default.copyItem(atPath: from + "-wal", toPath: to + "-wal") }
    }

    /// The stored logprobs blobs by answer id.
    static func blobs(_ path: String) throws -> [Int64: [UInt8]] {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        return try db.with("SELECT id, logprobs FROM responses WHERE logprobs IS NOT NULL") { s in
            var out: [Int64: [UInt8]] = [:]
            while try s.step() { out[s.int64(0)] = s.blob(1) }
            return out
        }
    }
}
