import Foundation
import HarvestKit
import SQLiteStore

/// Full-disk handling of the commands that pay for answers (`sweep --run`): the space reserve, importing a rescue
/// file left by an earlier run, and the exit when the database refused writes.
enum DiskSafety {
    /// Store options with the space reserve (`$HARVEST_RESERVE_MB` MiB, 0 disables it, else
    /// ``StoreOptions/defaultReserveBytes``) and a WAL checkpoint (TRUNCATE) at the end.
    static var payingStoreOptions: StoreOptions {
        StoreOptions(reserveBytes: StoreOptions.reserveBytes(environment: ProcessInfo.processInfo.environment), checkpointOnClose: true)
    }

    /// Imports the rescue file at `path` (if any) and prints what happened.
    static func importRescued(_ path: String, into store: any RecoveryStore) async throws {
        guard let summary = try await RescueImporter.importFile(path, into: store) else { return }
        printStatus(describe(summary))
    }

    /// One line for people about an import.
    static func describe(_ s: RescueImporter.Summary) -> String {
        var text = "rescue file \(s.path): \(s.answers) answers read, \(s.stored) stored, \(s.alreadyDone) already stored"
        if !s.unknownLines.isEmpty {
            text += ", \(s.unknownLines.count) for jobs this database does not have (lines \(s.unknownLines.prefix(10).map(String.init).joined(separator: ", ")))"
        }
        if s.tornLines > 0 { text += ", 1 incomplete last line skipped" }
        return text + "; the file was moved to \(s.archivedAs)"
    }

    /// The exit code when the database refused writes during the run (after printing what to do), else nil.
    static func refusalExit(store: any StoreMaintenance, rescued: Int, rescuePath: String) -> Int32? {
        guard let refusal = store.writeRefusal ?? (rescued > 0 ? WriteRefusal(reason: "an answer could not be stored", diskFull: false, since: 0) : nil) else {
            return nil
        }
        printError("the database \(store.location) refused writes (\(refusal.reason)); no new jobs were claimed. "
                   + (rescued > 0 ? "\(rescued) paid answers were saved to \(rescuePath). " : "Every paid answer was stored. ")
                   + (refusal.diskFull ? "Free space on its disk, " : "Make the database and its directory writable, ")
                   + "then run the same command again (it imports the rescue file first), or `harvest rescue import`.")
        return HarvestExit.database
    }
}
