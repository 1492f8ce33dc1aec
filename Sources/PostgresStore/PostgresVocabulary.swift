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
        var index: [Key: Int] = [:]
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
        for table in tables { for key in table.keys where known.index[Key(key)] == nil { missing.insert(key) } }
        var found = Teacher()
        let sorted = missing.sorted { $0.lexicographicallyPrecedes($1) }
        var start = 0
        while start < sorted.count {
            let chunk = sorted[start..<min(sorted.count, start + Self.insertChunk)]
            var entries = PostgresBinaryArray(.bytea, reservingBytes: chunk.reduce(0) { $0 + $1.count + 4 })
            for key in chunk { entries.append(key) }
            let params: [PostgresValue] = [.int(teacherId), .binaryArray(entries)]
            try c.executePrepared("""
                INSERT INTO logprob_vocab(teacher_id, idx, entry)
                SELECT $1, nextval('logprob_vocab_idx'), e.entry FROM unnest($2::bytea[]) WITH ORDINALITY AS e(entry, n) ORDER BY e.n
                ON CONFLICT(teacher_id, entry) DO NOTHING
                """, params)
            let sql = "SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1 AND entry = ANY($2::bytea[])"
            let rows = try c.executePrepared(sql, params)
            for r in 0..<rows.count {
                guard let key = try rows.bytes(r, 1) else { continue }
                let idx = try rows.int(r, 0)
                found.index[Key(key)] = idx
                found.keys[idx] = key
            }
            guard rows.count == chunk.count else {
                throw PostgresError.unexpected(sql: sql, detail: "\(chunk.count - rows.count) vocabulary keys of teacher \(teacherId) vanished")
            }
            start += chunk.count
        }
        let merged = teachers.withLock { all in
            var t = all[teacherId] ?? Teacher()
            t.index.merge(found.index) { old, _ in old }
            t.keys.merge(found.keys) { old, _ in old }
            all[teacherId] = t
            return t
        }
        return try tables.map { table in
            guard let indices = Self.indices(table.keys, in: merged) else {
                throw PostgresError.unexpected(sql: "logprob_vocab", detail: "a key of teacher \(teacherId) has no index")
            }
            return table.encode(vocabularyIndex: indices)
        }
    }

    /// The teacher's vocabulary as committed, for decoding (reads the rows this process does not know yet).
    func entries(teacherId: Int64, _ c: PostgresConnection) throws -> [Int: [UInt8]] {
        let rows = try c.execute("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1", [.int(teacherId)])
        var t = Teacher()
        for r in 0..<rows.count {
            guard let key = try rows.bytes(r, 1) else { continue }
            let idx = try rows.int(r, 0)
            t.index[Key(key)] = idx
            t.keys[idx] = key
        }
        teachers.withLock { all in
            var known = all[teacherId] ?? Teacher()
            known.index.merge(t.index) { old, _ in old }
            known.keys.merge(t.keys) { old, _ in old }
            all[teacherId] = known
        }
        return t.keys
    }

    private static func indices(_ keys: [[UInt8]], in t: Teacher) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(keys.count)
        for key in keys {
            guard let i = t.index[Key(key)] else { return nil }
            out.append(i)
        }
        return out
    }

    /// A vocabulary entry as a dictionary key. Entries up to 32 bytes (most: flags, token text, bytes, id) are
    /// held inline as four words, so a lookup compares words in the table without following a pointer; longer ones
    /// keep their bytes. A 128 × top-5 answer looks up ~640 keys in a vocabulary of tens of thousands: with `[UInt8]`
    /// keys (hashed byte by byte, each probe a cache miss) that was a third of the client's CPU per answer.
    struct Key: Hashable, Sendable {
        private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
        private var count: Int
        private var long: [UInt8]?

        init(_ bytes: [UInt8]) {
            count = bytes.count
            if bytes.count > 32 {
                long = bytes
                return
            }
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                bytes.withUnsafeBytes { raw.copyMemory(from: $0) }
            }
            (w0, w1, w2, w3) = words
        }
    }
}
