/// The store seam shared by both backends: the value types their callers see and the protocols the engine, the
/// daemon and the commands work against. `SQLiteStore` (the embedded default) and `PostgresStore` (many daemons on
/// one database) conform; callers hold `any …Store` values built by one factory from `--db` / `database.url`.
///
/// Nothing here does I/O. A type moves here from `SQLiteStore` when a second backend needs it; `SQLiteStore`
/// re-exports this module, so its callers keep compiling unchanged.
public enum HarvestStoreModule {
    /// The schema family this seam describes (bumped when a protocol changes shape).
    public static let seamVersion = 2
}
