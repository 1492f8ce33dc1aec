/// SQLite behind the store seam: every requirement is met by the methods it already has (synchronous ones
/// satisfy the asynchronous requirements), so callers holding `any HarvestDatabase` see no change in behaviour.
extension SQLiteStore: HarvestDatabase {
    /// The database file.
    public var location: String { path }
}
