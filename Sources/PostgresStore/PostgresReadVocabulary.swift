import Foundation
import HarvestCore

/// The teachers' logprob vocabularies decoded for reading (`HLP2` blobs refer to them by index), shared by a
/// store's read connections and cursors.
///
/// On PostgreSQL an entry's index is a value of the sequence `logprob_vocab_idx`, shared by every teacher and
/// handed out before commit: a teacher's indices are unique but not dense (SQLite's are 0, 1, 2, … per teacher),
/// and a gap may be filled later by a transaction that commits after a reader loaded the vocabulary. So the entries
/// are kept by index in a dictionary (full decoding), and the token ids for ids-only decoding in an array with
/// ``hole`` where this process knows no entry; a blob that refers to an unknown index reloads the teacher's
/// vocabulary once (rows of a blob's vocabulary are committed before the blob, so any reader that sees the blob sees
/// them) and fails with a clear error if it is still unknown.
final class PostgresReadVocabulary: @unchecked Sendable {
    /// One teacher's vocabulary as loaded.
    struct Teacher {
        /// Entries by index.
        var entries: [Int: LogprobCodec.VocabularyEntry] = [:]
        /// Token id by index (nil: the entry has none; ``hole``: no entry of this teacher at that index).
        var ids: [Int?] = []
    }

    /// The token id that marks an index without an entry (never a real id: ids are non-negative).
    static let hole = Int.min

    private let lock = NSLock()
    private var teachers: [Int64: Teacher] = [:]  // guarded by `lock`

    /// Decodes an `HLP1` or `HLP2` blob of teacher `teacherId`; `texts` false decodes only token ids and logprobs
    /// (token texts empty, `bytes` nil). Reads the vocabulary through `c` when needed.
    func decode(_ blob: [UInt8], teacherId: Int64, texts: Bool, _ c: PostgresConnection) throws -> [TokenLogprob] {
        guard LogprobCodec.isVersion2(blob) else { return try LogprobCodec.decode(blob) }
        var teacher = lock.withLock { teachers[teacherId] }
        if teacher == nil { teacher = try load(teacherId, c) }
        for attempt in 0..<2 {
            if attempt == 1 { teacher = try load(teacherId, c) }
            guard let t = teacher else { continue }
            if texts {
                do {
                    return try LogprobCodec.decode(blob) { t.entries[$0] }
                } catch {
                    if error.missingVocabularyIndex == nil || attempt == 1 { throw error }
                }
            } else {
                let tokens: [TokenLogprob]
                do {
                    tokens = try t.ids.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in
                        try LogprobCodec.decodeIdsAndLogprobs(blob, ids: ids)
                    }
                } catch {
                    if error.missingVocabularyIndex == nil || attempt == 1 { throw error }
                    continue
                }
                if !Self.touchesHole(tokens) { return tokens }
                if attempt == 1 {
                    throw PostgresError.unexpected(sql: "logprob_vocab", detail: "a vocabulary entry of teacher \(teacherId) is unknown")
                }
            }
        }
        throw PostgresError.unexpected(sql: "logprob_vocab", detail: "the vocabulary of teacher \(teacherId) could not be read")
    }

    /// Decodes the token ids and logprobs of an `HLP1` or `HLP2` blob of teacher `teacherId` into flat columns
    /// (``LogprobCodec/decodeColumns(_:ids:)``: the `kd` export's read path, as on SQLite). Reads the vocabulary
    /// through `c` when needed.
    func decodeColumns(_ blob: [UInt8], teacherId: Int64, _ c: PostgresConnection) throws -> LogprobColumns {
        guard LogprobCodec.isVersion2(blob) else { return LogprobColumns(try LogprobCodec.decode(blob)) }
        var teacher = lock.withLock { teachers[teacherId] }
        if teacher == nil { teacher = try load(teacherId, c) }
        for attempt in 0..<2 {
            if attempt == 1 { teacher = try load(teacherId, c) }
            guard let t = teacher else { continue }
            let columns: LogprobColumns
            do {
                columns = try t.ids.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in
                    try LogprobCodec.decodeColumns(blob, ids: ids)
                }
            } catch {
                if error.missingVocabularyIndex == nil || attempt == 1 { throw error }
                continue
            }
            if !columns.sampledIds.contains(Self.hole) && !columns.topIds.contains(Self.hole) { return columns }
            if attempt == 1 {
                throw PostgresError.unexpected(sql: "logprob_vocab", detail: "a vocabulary entry of teacher \(teacherId) is unknown")
            }
        }
        throw PostgresError.unexpected(sql: "logprob_vocab", detail: "the vocabulary of teacher \(teacherId) could not be read")
    }

    private static func touchesHole(_ tokens: [TokenLogprob]) -> Bool {
        for t in tokens {
            if t.tokenId == hole { return true }
            for alt in t.top where alt.tokenId == hole { return true }
        }
        return false
    }

    /// Reads teacher `teacherId`'s whole vocabulary as `c` sees it and keeps it.
    private func load(_ teacherId: Int64, _ c: PostgresConnection) throws -> Teacher {
        let rows = try c.execute("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1", [.int(teacherId)])
        var t = Teacher()
        var top = -1
        for r in 0..<rows.count {
            let idx = try rows.int(r, 0)
            guard idx >= 0, let key = try rows.bytes(r, 1) else { continue }
            t.entries[idx] = try LogprobCodec.VocabularyEntry(key: key)
            top = max(top, idx)
        }
        t.ids = Array(repeating: Self.hole, count: top + 1)
        for (idx, entry) in t.entries { t.ids[idx] = entry.tokenId }
        let loaded = t
        lock.withLock { teachers[teacherId] = loaded }
        return loaded
    }
}
