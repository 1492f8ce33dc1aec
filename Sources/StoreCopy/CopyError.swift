/// Why `harvest db copy` refused or stopped. Every case names the database and says what to do; the target is left
/// as a valid, resumable partial copy (or untouched, for the refusals checked before the first write).
public enum CopyError: Error, Sendable, CustomStringConvertible {
    /// `--from` or `--to` is not a usable location (e.g. a URL carrying a password).
    case badLocation(option: String, reason: String)
    /// The source does not exist or is not a harvest database.
    case badSource(location: String, reason: String)
    /// The source and the target are the same database.
    case sameDatabase(location: String)
    /// The target holds data that is not a (partial) copy of this source.
    case targetNotEmpty(location: String, detail: String)
    /// The target holds another harvest: a row with the same id but another content identity.
    case differentHarvest(location: String, table: String, id: Int64, detail: String)
    /// A stored value could not be carried over (e.g. a corrupt logprobs blob).
    case badRow(location: String, table: String, key: String, detail: String)
    /// The copy was stopped on purpose after a batch (the test hook), as if the process had been killed there.
    case stopped(afterBatches: Int)

    public var description: String {
        switch self {
        case .badLocation(let option, let reason):
            "\(option): \(reason)"
        case .badSource(let location, let reason):
            "cannot copy from \(location): \(reason)"
        case .sameDatabase(let location):
            "--from and --to name the same database (\(location)); give another target"
        case .targetNotEmpty(let location, let detail):
            "refusing to copy into \(location): \(detail); copy into a new (empty) database, or re-run the interrupted copy with the same --from"
        case .differentHarvest(let location, let table, let id, let detail):
            "refusing to copy into \(location): it holds a different harvest (\(table) id \(id): \(detail)); nothing was written — copy into a new database"
        case .badRow(let location, let table, let key, let detail):
            "cannot copy \(table) row \(key) from \(location): \(detail)"
        case .stopped(let n):
            "copy stopped after \(n) batches (test hook); run it again to resume"
        }
    }
}
