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
        if texts {
            return try decoding(teacherId, c, complete: { _ in true }) { (t) throws(LogprobCodec.DecodeError) in
                try LogprobCodec.decode(blob) { t.entries[$0] }
            }
        }
        return try decoding(teacherId, c, complete: { !Self.touchesHole($0) }) { (t) throws(LogprobCodec.DecodeError) in
            try t.ids.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in try LogprobCodec.decodeIdsAndLogprobs(blob, ids: ids) }
        }
    }

    /// Decodes the token ids and logprobs of an `HLP1` or `HLP2` blob of teacher `teacherId` into flat columns
    /// (``LogprobCodec/decodeColumns(_:ids:)``: the `kd` export's read path, as on SQLite). Reads the vocabulary
    /// through `c` when needed.
    func decodeColumns(_ blob: [UInt8], teacherId: Int64, _ c: PostgresConnection) throws -> LogprobColumns {
        guard LogprobCodec.isVersion2(blob) else { return LogprobColumns(try LogprobCodec.decode(blob)) }
        let complete = { (columns: LogprobColumns) in !columns.sampledIds.contains(Self.hole) && !columns.topIds.contains(Self.hole) }
        return try decoding(teacherId, c, complete: complete) { (t) throws(LogprobCodec.DecodeError) in
            try t.ids.withUnsafeBufferPointer { ids throws(LogprobCodec.DecodeError) in try LogprobCodec.decodeColumns(blob, ids: ids) }
        }
    }

    /// Runs `decode` with the teacher's vocabulary as this process knows it; when it reports an index past what is
    /// known, or `complete` finds an id at an index without an entry (``hole``), reloads the vocabulary once and runs
    /// it again (see the type's comment).
    private func decoding<T>(_ teacherId: Int64, _ c: PostgresConnection, complete: (T) -> Bool,
                             _ decode: (Teacher) throws(LogprobCodec.DecodeError) -> T) throws -> T {
        var teacher = try lock.withLock { teachers[teacherId] } ?? load(teacherId, c)
        for attempt in 0..<2 {
            if attempt == 1 { teacher = try load(teacherId, c) }
            let value: T
            do {
                value = try decode(teacher)
            } catch {
                if error.missingVocabularyIndex == nil || attempt == 1 { throw error }
                continue
            }
            if complete(value) { return value }
        }
        throw PostgresError.unexpected(sql: "logprob_vocab", detail: "a vocabulary entry of teacher \(teacherId) is unknown")
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
