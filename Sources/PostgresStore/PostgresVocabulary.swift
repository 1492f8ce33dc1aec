import HarvestCore
import Synchronization

/// The teachers' logprob vocabularies (table `logprob_vocab`) as committed, shared by a store's connections, so an
/// `HLP1` answer (as a ``LogprobTable``) is stored as `HLP2` with only its new keys inserted.
///
/// Many processes append at once: a transaction that must add keys first takes the teacher's transaction advisory
/// lock (held to its commit), then reads the rows committed since its copy and appends after them, so indices stay
/// dense and each key is stored once. The shared copy only ever holds committed rows: a transaction's additions are
/// published (``publish(_:)``, from its ``Session``) after its commit, and forgotten with it when it rolls back.
final class PostgresVocabulary: Sendable {
    /// One teacher's keys in index order.
    struct Teacher: Sendable {
        var teacherId: Int64
        var index: [[UInt8]: Int] = [:]
        var keys: [[UInt8]] = []
    }

    private let teachers = Mutex<[Int64: Teacher]>([:])
    /// Rows per INSERT statement when appending.
    private static let insertChunk = 500

    /// The `HLP2` blob of `table` when the committed vocabulary already holds all its keys (no database access).
    func encodeKnown(_ table: LogprobTable, teacherId: Int64) -> [UInt8]? {
        guard let t = teachers.withLock({ $0[teacherId] }), let indices = Self.indices(table.keys, in: t) else { return nil }
        return table.encode(vocabularyIndex: indices)
    }

    /// One transaction's working copies of the teachers it encoded for (to publish after its commit).
    struct Session {
        var teachers: [Int64: Teacher] = [:]
        var changed: Set<Int64> = []
    }

    /// The `HLP2` blob of `table` for teacher `teacherId`, inserting new keys within `c`'s open transaction.
    /// `session` carries the transaction's additions from one answer to the next; publish it after the commit.
    func encode(_ table: LogprobTable, teacherId: Int64, _ c: PostgresConnection, session: inout Session) throws -> [UInt8] {
        var t = session.teachers[teacherId] ?? teachers.withLock { $0[teacherId] } ?? Teacher(teacherId: teacherId)
        if let indices = Self.indices(table.keys, in: t) {
            session.teachers[teacherId] = t
            return table.encode(vocabularyIndex: indices)
        }
        let lockKey = Int64(PostgresMigrations.vocabularyLockClass) << 32 | (teacherId & 0xFFFF_FFFF)
        try c.execute("SELECT pg_advisory_xact_lock($1)", [.int(lockKey)])
        try Self.load(&t, c)
        var fresh: [(Int, [UInt8])] = []
        var indices: [Int] = []
        indices.reserveCapacity(table.keys.count)
        for key in table.keys {
            if let i = t.index[key] {
                indices.append(i)
                continue
            }
            let i = t.keys.count
            t.index[key] = i
            t.keys.append(key)
            fresh.append((i, key))
            indices.append(i)
        }
        var start = 0
        while start < fresh.count {
            let chunk = fresh[start..<min(fresh.count, start + Self.insertChunk)]
            var params: [PostgresValue] = [.int(teacherId)]
            var rows: [String] = []
            for (i, key) in chunk {
                params.append(.int(Int64(i)))
                params.append(.bytes(key))
                rows.append("($1, $\(params.count - 1)::int, $\(params.count))")
            }
            try c.execute("INSERT INTO logprob_vocab(teacher_id, idx, entry) VALUES " + rows.joined(separator: ", "), params)
            start += chunk.count
        }
        session.teachers[teacherId] = t
        session.changed.insert(teacherId)
        return table.encode(vocabularyIndex: indices)
    }

    /// Makes a committed transaction's additions visible to later encodes.
    func publish(_ session: Session) {
        for id in session.changed { if let t = session.teachers[id] { publish(t) } }
    }

    /// Makes a teacher's committed rows visible to later encodes.
    private func publish(_ added: Teacher) {
        teachers.withLock { all in
            if (all[added.teacherId]?.keys.count ?? 0) < added.keys.count { all[added.teacherId] = added }
        }
    }

    /// The teacher's whole vocabulary as committed, for decoding (reads the rows newer than the shared copy).
    func entries(teacherId: Int64, _ c: PostgresConnection) throws -> [[UInt8]] {
        var t = teachers.withLock { $0[teacherId] } ?? Teacher(teacherId: teacherId)
        try Self.load(&t, c)
        publish(t)
        return t.keys
    }

    private static func indices(_ keys: [[UInt8]], in t: Teacher) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(keys.count)
        for key in keys {
            guard let i = t.index[key] else { return nil }
            out.append(i)
        }
        return out
    }

    /// Appends the committed rows after `t`'s keys.
    private static func load(_ t: inout Teacher, _ c: PostgresConnection) throws {
        let sql = "SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1 AND idx >= $2 ORDER BY idx"
        let rows = try c.execute(sql, [.int(t.teacherId), .int(Int64(t.keys.count))])
        for r in 0..<rows.count {
            let idx = try rows.int(r, 0)
            guard idx == t.keys.count, let key = try rows.bytes(r, 1) else {
                throw PostgresError.unexpected(sql: sql, detail: "logprob_vocab of teacher \(t.teacherId) skips from \(t.keys.count) to \(idx)")
            }
            t.index[key] = idx
            t.keys.append(key)
        }
    }
}
