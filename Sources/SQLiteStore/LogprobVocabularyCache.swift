import HarvestCore

/// Readers' copy of table `logprob_vocab`, shared by all reader connections of a store: rows are append-only
/// and never change once committed, so a prefix read once stays valid; a blob that refers past it reloads the
/// new rows (they are visible: the blob's row was read in the same transaction).
final class LogprobVocabularyCache: @unchecked Sendable {
    private let lock = ConditionLock()
    private var teachers: [Int64: [LogprobCodec.VocabularyEntry]] = [:]
    /// Per teacher, each entry's token id, for decoding ids and logprobs only.
    private var teacherIds: [Int64: [Int?]] = [:]

    /// Decodes an `HLP1` or `HLP2` blob of teacher `teacherId`, reading new vocabulary rows through `db` when needed.
    func decode(_ blob: [UInt8], teacherId: Int64, _ db: SQLiteDatabase) throws -> [TokenLogprob] {
        guard LogprobCodec.isVersion2(blob) else { return try LogprobCodec.decode(blob) }
        let cached = lock.withLock { teachers[teacherId] ?? [] }
        var missing = false
        do {
            return try LogprobCodec.decode(blob) { i in
                if i < cached.count { return cached[i] }
                missing = true
                return nil
            }
        } catch {
            if !missing { throw error }
        }
        let entries = try load(teacherId, db)
        return try LogprobCodec.decode(blob) { $0 < entries.count ? entries[$0] : nil }
    }

    /// Decodes only token ids and logprobs (``LogprobCodec/decodeIdsAndLogprobs(_:ids:)``: token texts empty,
    /// `bytes` nil), reading new vocabulary rows through `db` when needed.
    func decodeIdsAndLogprobs(_ blob: [UInt8], teacherId: Int64, _ db: SQLiteDatabase) throws -> [TokenLogprob] {
        guard LogprobCodec.isVersion2(blob) else { return try LogprobCodec.decode(blob) }
        return try withIds(teacherId, db) { ids throws(LogprobCodec.DecodeError) in try LogprobCodec.decodeIdsAndLogprobs(blob, ids: ids) }
    }

    /// Decodes token ids and logprobs into flat columns (``LogprobCodec/decodeColumns(_:ids:)``), reading new
    /// vocabulary rows through `db` when needed.
    func decodeColumns(_ blob: [UInt8], teacherId: Int64, _ db: SQLiteDatabase) throws -> LogprobColumns {
        guard LogprobCodec.isVersion2(blob) else { return LogprobColumns(try LogprobCodec.decode(blob)) }
        return try withIds(teacherId, db) { ids throws(LogprobCodec.DecodeError) in try LogprobCodec.decodeColumns(blob, ids: ids) }
    }

    /// Runs `decode` with the teacher's token id per vocabulary entry; when it reports an index past the cached
    /// rows, reads the new rows and runs it again.
    private func withIds<T>(_ teacherId: Int64, _ db: SQLiteDatabase,
                            _ decode: (UnsafeBufferPointer<Int?>) throws(LogprobCodec.DecodeError) -> T) throws -> T {
        let cached = lock.withLock { teacherIds[teacherId] ?? [] }
        do {
            return try cached.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in try decode(ids) }
        } catch {
            // An index past the cached rows: new vocabulary rows, read below.
            if error.missingVocabularyIndex == nil { throw error }
        }
        let entries = try load(teacherId, db)
        let ids = entries.map(\.tokenId)
        lock.withLock {
            if (teacherIds[teacherId]?.count ?? 0) < ids.count { teacherIds[teacherId] = ids }
        }
        return try ids.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in try decode(ids) }
    }

    /// Reads the rows after the cached ones and returns the teacher's whole vocabulary.
    private func load(_ teacherId: Int64, _ db: SQLiteDatabase) throws -> [LogprobCodec.VocabularyEntry] {
        var entries = lock.withLock { teachers[teacherId] ?? [] }
        try db.with("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = ?1 AND idx >= ?2 ORDER BY idx") { s in
            try s.bind(teacherId, at: 1); try s.bind(entries.count, at: 2)
            while try s.step() {
                guard s.int(0) == entries.count else {
                    throw StoreError.corrupt(path: db.path, detail: "logprob_vocab of teacher \(teacherId) skips from \(entries.count) to \(s.int(0))")
                }
                entries.append(try LogprobCodec.VocabularyEntry(key: s.blob(1)))
            }
        }
        return lock.withLock {
            if let cached = teachers[teacherId], cached.count >= entries.count { return cached }
            teachers[teacherId] = entries
            return entries
        }
    }
}
