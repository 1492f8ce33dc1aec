/// One side of a copy: a SQLite file or a PostgreSQL database, read and written row by row in pages. Not safe for
/// concurrent use (the copier drives it from one thread).
protocol CopyEndpoint: AnyObject {
    /// Where it is, for messages (a path, or a URL without password).
    var location: String { get }

    /// Starts one read snapshot: every read until ``endRead()`` sees the same committed state.
    func beginRead() throws
    /// Ends the read snapshot.
    func endRead()

    /// Up to `limit` rows of `table` whose key is greater than `after` (all from the start when nil), in key
    /// order; for a ``CopyTable/logprobs`` table each row ends with one more value, the answer's teacher id.
    func readPage(_ table: CopyTable, after: [CopyValue]?, limit: Int) throws -> [[CopyValue]]
    /// `(id, identity)` of the rows with `first <= id <= last` of a table with an ``CopyTable/identity``.
    func identities(_ table: CopyTable, first: Int64, last: Int64) throws -> [Int64: [UInt8]]
    /// Number of rows.
    func count(_ table: String) throws -> Int
    /// Largest `id` of a ``CopyTable/serialId`` table, nil when empty.
    func maxId(_ table: CopyTable) throws -> Int64?
    /// A `meta` value.
    func meta(_ key: String) throws -> String?
    /// Teacher `teacherId`'s vocabulary: index → entry key.
    func vocabulary(teacherId: Int64) throws -> [Int: [UInt8]]

    /// Runs `body` in one write transaction (committed when it returns).
    func write(_ body: () throws -> Void) throws
    /// Inserts rows, skipping those whose key is already there (inside ``write(_:)``); returns how many were new.
    func insert(_ table: CopyTable, rows: [[CopyValue]]) throws -> Int
    /// Sets a `meta` value (inside ``write(_:)``).
    func setMeta(_ key: String, _ value: String) throws
    /// Teachers that have logprob vocabulary entries.
    func vocabularyTeachers() throws -> [Int64]
    /// Whether vocabulary indices must be 0, 1, 2, … per teacher (SQLite) rather than merely unique (PostgreSQL).
    var denseVocabulary: Bool { get }
    /// Adds vocabulary entries `(index, key)` for teacher `teacherId` (inside ``write(_:)``); PostgreSQL's index
    /// sequence is moved past them.
    func addVocabulary(teacherId: Int64, entries: [(index: Int, key: [UInt8])]) throws
    /// Makes the copied rows usable by harvest's writers (PostgreSQL: sequences past the copied ids).
    func finishWrites() throws

    /// Closes its connection.
    func close()
}

extension CopyEndpoint {
    /// Whether it holds any harvest rows (prompt sets, prompts, teachers, jobs).
    func holdsData() throws -> Bool {
        for t in ["prompt_sets", "prompts", "teachers", "param_sets", "jobs"] where try count(t) > 0 { return true }
        return false
    }
}
