import HarvestCore
import Synchronization

/// The teachers' logprob vocabularies (table `logprob_vocab`) as committed, shared by a store's connections, so an
/// `HLP1` answer (as a ``LogprobTable``) is stored as `HLP2` with only its new keys inserted.
///
/// Many processes append at once without a lock: an entry's index comes from the sequence `logprob_vocab_idx`
/// (indices are unique per teacher, not dense), and a key another process inserts at the same moment is found by
/// `UNIQUE(teacher_id, entry)` (`ON CONFLICT DO NOTHING`, then read back). Keys are inserted in sorted order so two
/// inserters never wait on each other in a cycle. New rows are committed before the answers that use them (their
/// own statement): a row whose answer is then not stored is a valid, unused entry.
final class PostgresVocabulary: Sendable {
    /// One teacher's known keys.
    struct Teacher: Sendable {
        var index = VocabularyKeyTable()
        var keys: [Int: [UInt8]] = [:]
    }

    private let teachers = Mutex<[Int64: Teacher]>([:])
    /// Keys per INSERT statement.
    private static let insertChunk = 1000

    /// The `HLP2` blob of `table` when the committed vocabulary this process knows holds all its keys.
    func encodeKnown(_ table: LogprobTable, teacherId: Int64) -> [UInt8]? {
        guard let t = teachers.withLock({ $0[teacherId] }), let indices = Self.indices(table.keys, in: t) else { return nil }
        return table.encode(vocabularyIndex: indices)
    }

    /// Makes sure every key of `tables` is in teacher `teacherId`'s vocabulary (inserting the new ones, committed on
    /// `c` outside any transaction), then returns their `HLP2` blobs.
    func encode(_ tables: [LogprobTable], teacherId: Int64, _ c: PostgresConnection) throws -> [[UInt8]] {
        let known = teachers.withLock { $0[teacherId] } ?? Teacher()
        var missing = Set<[UInt8]>()
        for table in tables { for key in table.keys where known.index.index(of: key) == nil { missing.insert(key) } }
        var found = Teacher()
        let sorted = missing.sorted { $0.lexicographicallyPrecedes($1) }
        var start = 0
        while start < sorted.count {
            let chunk = sorted[start..<min(sorted.count, start + Self.insertChunk)]
            var entries = PostgresBinaryArray(.bytea, reservingBytes: chunk.reduce(0) { $0 + $1.count + 4 })
            for key in chunk { entries.append(key) }
            // The keys this statement inserts come back with their indices; a key another process inserted first is
            // read after (looked up one by one in UNIQUE(teacher_id, entry): a handful, not the vocabulary).
            let inserted = try c.execute("""
                INSERT INTO logprob_vocab(teacher_id, idx, entry)
                SELECT $1, nextval('logprob_vocab_idx'), e.entry FROM unnest($2::bytea[]) WITH ORDINALITY AS e(entry, n) ORDER BY e.n
                ON CONFLICT(teacher_id, entry) DO NOTHING RETURNING idx, entry
                """, [.int(teacherId), .binaryArray(entries)])
            var chunkFound = 0
            try Self.collect(inserted, into: &found, count: &chunkFound)
            if chunkFound < chunk.count {
                var others = PostgresBinaryArray(.bytea)
                for key in chunk where found.index.index(of: key) == nil { others.append(key) }
                let sql = """
                    SELECT x.idx, e.entry FROM unnest($2::bytea[]) AS e(entry)
                    CROSS JOIN LATERAL (SELECT v.idx FROM logprob_vocab v WHERE v.teacher_id = $1 AND v.entry = e.entry LIMIT 1) x
                    """
                try Self.collect(try c.execute(sql, [.int(teacherId), .binaryArray(others)]), into: &found, count: &chunkFound)
                guard chunkFound == chunk.count else {
                    throw PostgresError.unexpected(sql: sql, detail: "\(chunk.count - chunkFound) vocabulary keys of teacher \(teacherId) vanished")
                }
            }
            start += chunk.count
        }
        let merged = teachers.withLock { all in
            // In place: a copy of the teacher's dictionaries here would cost the whole vocabulary per new key batch.
            all[teacherId, default: Teacher()].index.merge(found.index)
            all[teacherId, default: Teacher()].keys.merge(found.keys) { old, _ in old }
            return all[teacherId]!
        }
        return try tables.map { table in
            guard let indices = Self.indices(table.keys, in: merged) else {
                throw PostgresError.unexpected(sql: "logprob_vocab", detail: "a key of teacher \(teacherId) has no index")
            }
            return table.encode(vocabularyIndex: indices)
        }
    }

    /// The `HLP2` blobs of answers' logprob tables, one per item (nil when the job has no row): each against its job's
    /// teacher (`teacherId` when the caller knows it, else read from `jobs` in one query); keys the vocabulary lacks
    /// are inserted first, per teacher, committed at once (``encode(_:teacherId:_:)``). Used by the group commit and by
    /// batch results, so answers of both paths are stored the same way.
    func encodeAnswers(_ items: [(table: LogprobTable, jobId: Int64, teacherId: Int64?)], _ c: PostgresConnection) throws -> [[UInt8]?] {
        var teacherOf: [Int64: Int64] = [:]
        let unknown = items.filter { $0.teacherId == nil }.map(\.jobId)
        if !unknown.isEmpty {
            let t = try c.execute("SELECT id, teacher_id FROM jobs WHERE id = ANY($1::bigint[])", [.intArray(unknown)])
            for r in 0..<t.count { teacherOf[try t.int64(r, 0)] = try t.int64(r, 1) }
        }
        var blobs = [[UInt8]?](repeating: nil, count: items.count)
        var missing: [Int64: [Int]] = [:]
        for (i, item) in items.enumerated() {
            guard let teacher = item.teacherId ?? teacherOf[item.jobId] else { continue }
            if let blob = encodeKnown(item.table, teacherId: teacher) { blobs[i] = blob } else { missing[teacher, default: []].append(i) }
        }
        for (teacher, indices) in missing {
            let encoded = try encode(indices.map { items[$0].table }, teacherId: teacher, c)
            for (i, blob) in zip(indices, encoded) { blobs[i] = blob }
        }
        return blobs
    }

    /// Adds the `(idx, entry)` rows to `found`, counting them.
    private static func collect(_ rows: PostgresResult, into found: inout Teacher, count: inout Int) throws {
        for r in 0..<rows.count {
            guard let key = try rows.bytes(r, 1) else { continue }
            let idx = try rows.int(r, 0)
            found.index.insert(key, idx)
            found.keys[idx] = key
            count += 1
        }
    }

    /// The teacher's vocabulary as committed, for decoding (reads the rows this process does not know yet).
    func entries(teacherId: Int64, _ c: PostgresConnection) throws -> [Int: [UInt8]] {
        let rows = try c.execute("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1", [.int(teacherId)])
        var t = Teacher()
        for r in 0..<rows.count {
            guard let key = try rows.bytes(r, 1) else { continue }
            let idx = try rows.int(r, 0)
            t.index.insert(key, idx)
            t.keys[idx] = key
        }
        teachers.withLock { all in
            all[teacherId, default: Teacher()].index.merge(t.index)
            all[teacherId, default: Teacher()].keys.merge(t.keys) { old, _ in old }
        }
        return t.keys
    }

    private static func indices(_ keys: [[UInt8]], in t: Teacher) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(keys.count)
        for key in keys {
            guard let i = t.index.index(of: key) else { return nil }
            out.append(i)
        }
        return out
    }
}
