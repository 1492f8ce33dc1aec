/// Why an export could not be planned or written. Each description says what failed, where, and what to do.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `--split` value that cannot be used: the spec as given and why.
    case invalidSplit(spec: String, reason: String)
    /// A layout that cannot be written (e.g. splits to stdout): what is wrong and how to fix it.
    case invalidPlan(String)
    /// The output folder already holds files an export would write or mix with.
    case outputNotEmpty(directory: String, names: [String])
    /// A system call failed: the operation, the path, the system's reason and a hint.
    case io(operation: String, path: String, reason: String, hint: String)
    /// zlib failed while compressing `path`.
    case compression(path: String, reason: String)
    /// The row source threw; the export was abandoned and left no file.
    case rowSource(String)
    /// `-o` names something an export must not replace (the database in use, its WAL, a device, a FIFO, a folder…).
    case unsafeTarget(path: String, reason: String)
    /// An existing output folder holds files that are not leftovers of a killed export of the same name.
    case folderInUse(directory: String, names: [String])
    /// The export was stopped (Ctrl-C / SIGTERM); nothing was left behind.
    case interrupted
    /// The pipeline was used after ``ExportPipeline/finish(curation:)`` or ``ExportPipeline/abandon()``.
    case closed

    /// One paragraph for people.
    public var description: String {
        switch self {
        case .invalidSplit(let spec, let reason):
            return "invalid --split \"\(spec)\": \(reason). Write it as name=fraction pairs that sum to 1, e.g. train=0.98,val=0.02"
        case .invalidPlan(let what):
            return "cannot export: \(what)"
        case .outputNotEmpty(let dir, let names):
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count) in all)" : "")
            return "\(dir) already holds export files (\(shown)); remove them or choose another -o directory so old and new shards do not mix"
        case .io(let op, let path, let reason, let hint):
            return "cannot \(op) \(path): \(reason)" + (hint.isEmpty ? "" : " — \(hint)")
        case .compression(let path, let reason):
            return "gzip compression of \(path) failed: \(reason) — the export was abandoned; retry without --gzip to rule out zlib"
        case .rowSource(let reason):
            return "reading rows for export failed: \(reason) — nothing was written; fix the cause and export again"
        case .unsafeTarget(let path, let reason):
            return "refusing to write the export to \(path): \(reason) — choose another -o path (or -o - for standard output)"
        case .folderInUse(let dir, let names):
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count) in all)" : "")
            return "\(dir) already holds other files (\(shown)); a folder export goes to a new or empty folder so that it "
                + "appears complete at once — choose another -o folder or empty this one"
        case .interrupted:
            return "export interrupted; nothing was written (temporary files removed)"
        case .closed:
            return "export pipeline already finished or abandoned; create a new one for another export"
        }
    }
}
