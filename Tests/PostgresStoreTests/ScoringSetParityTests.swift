import Foundation
import HarvestCore
import HarvestKit
import PostgresStore
import SQLiteStore
import Testing

/// Building a scoring set (`harvest score SET --into NAME`) on both backends: the same harvest (``TwinHarvest``: a
/// prompt under several ids, curation marks and verdicts) gives the same members on SQLite and PostgreSQL — the same
/// ids, sequences (prompt + answer as the assistant turn) and metadata — the same outcome counts, and a second build
/// adds nothing on either.
@Suite(.serialized) struct ScoringSetParityTests {
    /// One member of a prompt set: its id, the stored conversation and its metadata.
    struct Member: Equatable, Comparable, CustomStringConvertible {
        var id: String
        var messages: String
        var metadata: String?
        static func < (a: Member, b: Member) -> Bool { Array(a.id.utf8).lexicographicallyPrecedes(Array(b.id.utf8)) }
        var description: String { "\(id): \(messages) \(metadata ?? "-")" }
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func theSameHarvestGivesTheSameScoringSetOnBothBackends() async throws {
        let twin = try await TwinHarvest()
        defer { twin.cleanup() }
        let stores: [any ScoringStore] = [twin.sqlite, twin.postgres]
        var outcomes: [[ScoringSetBuilder.Outcome]] = []
        for store in stores {
            let builder = ScoringSetBuilder(store: store)
            // Set s without the curated-out answers; set t (sweep b only) with them.
            let s = try await builder.build(from: "s", into: "s.scored")
            let t = try await builder.build(from: "t", sweepId: twin.sweepB, into: "t.scored", includeDropped: true)
            let again = try await builder.build(from: "s", into: "s.scored")
            outcomes.append([s, t, again])
            await #expect(throws: StoreError.self) { try await builder.build(from: "missing", into: "x") }
        }
        #expect(outcomes[0] == outcomes[1], "outcomes: \(outcomes)")
        let (s, t, again) = (outcomes[0][0], outcomes[0][1], outcomes[0][2])
        // Set s: 24 answers (sweep a's 20, and sweep b's 4: t's prompts are s's too); ids[1], ids[2] and ids[4] carry
        // marks, ids[2], ids[6], ids[12] and ids[16] a wrong/no_answer verdict (TwinHarvest.curate): 18 read and added.
        #expect(s.answers == 18 && s.skipped == 0 && s.summary.added == 18 && s.summary.unchanged == 0, "\(s)")
        #expect(t.answers == 4 && t.summary.added == 4, "t includes its marked answer: \(t)")
        #expect(again.summary.added == 0 && again.summary.unchanged == s.summary.added, "\(again)")

        for set in ["s.scored", "t.scored"] {
            let a = try Self.sqliteMembers(twin, set), b = try Self.postgresMembers(twin, set)
            #expect(a.count == (set == "s.scored" ? s.summary.added : 4) && a == b, "\(set): \(a) vs \(b)")
        }
        let members = try Self.sqliteMembers(twin, "s.scored")
        let ids = twin.responseIds
        // Curated-out answers (marks, wrong/no_answer verdicts) are left out without --include-dropped.
        #expect(!members.contains { m in [1, 2, 4, 6, 12, 16].contains { m.id.hasSuffix("#\(ids[$0])") } })
        #expect(members.contains { $0.id.hasSuffix("#\(ids[0])") } && members.contains { $0.id.hasSuffix("#\(ids[3])") })
        // Prompt 3 answers under its lowest id in byte order, "Z-dup", on both backends.
        #expect(members.contains { $0.id.hasPrefix("Z-dup#") } && !members.contains { $0.id.hasPrefix("a-dup#") || $0.id.hasPrefix("q3#") })
        #expect(members.allSatisfy { $0.messages.hasSuffix("}]") && $0.messages.contains(#""role":"assistant""#) && $0.metadata?.contains(#""source_set":"s""#) == true })
        #expect(try Self.sqliteMembers(twin, "t.scored").contains { $0.id.hasSuffix("#\(ids[1])") }, "the marked answer of t with --include-dropped")

        // What `--run` checks before sending: the new sets are scorable, the source sets are not, on both backends.
        for set in ["s.scored", "t.scored"] {
            let a = try twin.sqlite.unscorableMembers(setName: set)
            let b = try await twin.postgres.unscorableMembers(setName: set)
            #expect(a.count == 0 && b.count == 0 && a.firstId == nil && b.firstId == nil, "\(set)")
        }
        let a = try twin.sqlite.unscorableMembers(setName: "s")
        let b = try await twin.postgres.unscorableMembers(setName: "s")
        #expect(a.count == 12 && a.count == b.count && a.firstId == "Z-dup" && a.firstId == b.firstId, "\(a) \(b)")
    }

    /// The members of `set` in the SQLite twin, by id (byte order).
    static func sqliteMembers(_ twin: TwinHarvest, _ set: String) throws -> [Member] {
        let db = try SQLiteDatabase(path: twin.dir.appendingPathComponent("twin.sqlite").path, mode: .readOnly)
        return try db.with("""
            SELECT m.external_id, p.messages, m.metadata FROM set_members m JOIN prompt_sets s ON s.id = m.set_id
            JOIN prompts p ON p.id = m.prompt_id WHERE s.name = ?1
            """) { st in
            try st.bind(set, at: 1)
            var out: [Member] = []
            while try st.step() { out.append(Member(id: st.string(0), messages: st.string(1), metadata: st.optionalString(2))) }
            return out.sorted()
        }
    }

    /// The members of `set` in the PostgreSQL twin, by id (byte order).
    static func postgresMembers(_ twin: TwinHarvest, _ set: String) throws -> [Member] {
        let c = try PostgresConnection(url: PostgresURL(twin.database.url))
        let r = try c.execute("""
            SELECT m.external_id, p.messages, m.metadata FROM set_members m JOIN prompt_sets s ON s.id = m.set_id
            JOIN prompts p ON p.id = m.prompt_id WHERE s.name = $1
            """, [.text(set)])
        return try (0..<r.count).map { Member(id: try r.text($0, 0), messages: try r.text($0, 1), metadata: r.string($0, 2)) }.sorted()
    }
}
