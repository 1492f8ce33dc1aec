import CSQLite
import HarvestCore

/// The writer connection's view of table `logprob_vocab`: per teacher, entry key → vocabulary index, so an
/// `HLP1` blob (as a ``LogprobTable``) can be stored as `HLP2` with only the new keys inserted.
///
/// Used on the writer thread only. The cache always equals a prefix of the committed table plus the rows the
/// current operation added: an operation that fails undoes its own additions (``undo(_:)``, its savepoint is
/// rolled back too), a rolled-back transaction empties the cache (SQLite's rollback hook), and every operation
/// first reads the rows other processes appended since (the write lock is held, so nobody appends meanwhile).
final class LogprobVocabularyWriter: @unchecked Sendable {
    /// One teacher's keys.
    private struct Teacher {
        var index: [[UInt8]: Int] = [:]
        var keys: [[UInt8]] = []
    }

    /// Additions made by one operation, for ``undo(_:)``.
    struct Additions {
        fileprivate var teacherId: Int64
        fileprivate var from: Int
    }

    private var teachers: [Int64: Teacher] = [:]
    fileprivate var rolledBack = false

    /// Registers the rollback hook on the writer connection (call once, before the writer thread starts).
    func attach(to db: SQLiteDatabase) {
        sqlite3_rollback_hook(db.handle, { context in
            guard let context else { return }
            Unmanaged<LogprobVocabularyWriter>.fromOpaque(context).takeUnretainedValue().rolledBack = true
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Maps `table`'s keys to teacher `teacherId`'s vocabulary indices, inserting new keys; returns the `HLP2`
    /// blob and what to undo if the operation later fails.
    func encode(_ table: LogprobTable, teacherId: Int64, _ db: SQLiteDatabase) throws -> (blob: [UInt8], additions: Additions) {
        if rolledBack {
            teachers.removeAll()
            rolledBack = false
        }
        var t = teachers.removeValue(forKey: teacherId) ?? Teacher()
        defer { teachers[teacherId] = t }
        try db.with("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = ?1 AND idx >= ?2 ORDER BY idx") { s in
            try s.bind(teacherId, at: 1); try s.bind(t.keys.count, at: 2)
            while try s.step() {
                let idx = s.int(0), key = s.blob(1)
                guard idx == t.keys.count else {
                    throw StoreError.corrupt(path: db.path, detail: "logprob_vocab of teacher \(teacherId) skips from \(t.keys.count) to \(idx)")
                }
                t.index[key] = idx
                t.keys.append(key)
            }
        }
        let additions = Additions(teacherId: teacherId, from: t.keys.count)
        var indices = [Int]()
        indices.reserveCapacity(table.keys.count)
        for key in table.keys {
            if let i = t.index[key] {
                indices.append(i)
                continue
            }
            let i = t.keys.count
            try db.with("INSERT INTO logprob_vocab(teacher_id, idx, entry) VALUES(?1, ?2, ?3)") { s in
                try s.bind(teacherId, at: 1); try s.bind(i, at: 2); try s.bind(blob: key, at: 3)
                try s.run()
            }
            t.index[key] = i
            t.keys.append(key)
            indices.append(i)
        }
        return (table.encode(vocabularyIndex: indices), additions)
    }

    /// Forgets the keys an operation added (its savepoint was rolled back).
    func undo(_ additions: Additions) {
        guard var t = teachers[additions.teacherId], additions.from <= t.keys.count else { return }
        for key in t.keys[additions.from...] { t.index[key] = nil }
        t.keys.removeLast(t.keys.count - additions.from)
        teachers[additions.teacherId] = t
    }
}
