/// SQLite behind the curation seam: its existing curation and verification methods (SQLiteStore+Curation.swift,
/// +Verification.swift) meet ``CurationStore`` unchanged.
extension SQLiteStore: CurationStore {
    /// Runs `body` at once: SQLite has no lock that spans a whole run. Each page commit is one `BEGIN IMMEDIATE`
    /// transaction of the file's single writer, so commits never interleave, but two runs on one set can commit their
    /// pages alternately (both judge the same new rows from the same progress; with the same parameters the marks
    /// written are the same rows, replaced, not doubled). `waiting` is never called.
    public func withCurationLock<T>(setName: String, waiting: () -> Void, _ body: () throws -> T) throws -> T {
        try body()
    }
}
