import HarvestCore

/// Why a store operation failed. `description` is written for people: what, where, what to do.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// An import gave an id already used in the set for a different conversation. Nothing was imported.
    case conflict(setName: String, externalId: String, location: InputLocation)
    /// A sweep of this name exists with a different prompt set, teacher or sampling parameters.
    case sweepConflict(name: String, detail: String)
    /// No prompt set has this name.
    case unknownSet(String)
    /// No sweep has this id.
    case unknownSweep(Int64)
    /// The database was written by a newer harvest.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// An argument the store cannot accept (e.g. zero samples).
    case invalidInput(String)
    /// A SQLite call failed.
    case sqlite(SQLiteError)
    /// Stored data cannot be read back (or the file is not a harvest database).
    case corrupt(path: String, detail: String)
    /// The store was closed before the operation could run.
    case closed(path: String)
    /// The file is a SQLite database of another program (it was not changed).
    case notHarvest(path: String, detail: String)

    /// One line for people.
    public var description: String {
        switch self {
        case .conflict(let set, let id, let location):
            return "\(location): prompt id '\(id)' already exists in set '\(set)' with different messages; nothing was imported — "
                + "give this prompt a new id, or import into a new set"
        case .sweepConflict(let name, let detail):
            return "sweep '\(name)' already exists with a different definition (\(detail)) — choose another sweep name"
        case .unknownSet(let name):
            return "no prompt set named '\(name)' — import prompts into it first, or check the name with `harvest status`"
        case .unknownSweep(let id):
            return "no sweep with id \(id) — list sweeps with `harvest status`"
        case .schemaTooNew(let path, let found, let supported):
            return "\(path) has schema version \(found), but this harvest understands up to version \(supported) — "
                + "upgrade harvest to open it (the file was not changed)"
        case .invalidInput(let what):
            return "invalid input: \(what)"
        case .sqlite(let e):
            return e.description
        case .corrupt(let path, let detail):
            return "\(path): stored data is unreadable: \(detail) — restore a backup, or export what is readable"
        case .notHarvest(let path, let detail):
            return "\(path) is not a harvest database (\(detail)); the file was not changed — check the --db path"
        case .closed(let path):
            return "the store for \(path) is closed; the operation did not run — this is a harvest bug if it happens during a run"
        }
    }

    /// Wraps any error thrown inside the store for database `path` as a `StoreError`
    /// (anything not already a store or SQLite error comes from decoding stored data).
    static func wrap(_ error: any Error, path: String) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? SQLiteError { return .sqlite(e) }
        return .corrupt(path: path, detail: "\(error)")
    }
}
