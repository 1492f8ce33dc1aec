import ArgumentParser
import Foundation
import HarvestKit
import SQLiteStore

/// `harvest backup DEST`: a consistent copy of the database, also while `harvest serve` or a sweep runs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the database to DEST (safe while harvest serve or a sweep runs).",
        discussion: """
            The copy is one snapshot (SQLite VACUUM INTO): it holds every answer committed before the backup began.
            It is written to a temporary file beside DEST, checked with PRAGMA integrity_check, synced, then renamed
            to DEST. DEST may not be the database itself (or its -wal/-shm files), a directory, a device or a FIFO.
            SQLite only: a PostgreSQL --db is refused (exit 4); back it up with pg_dump / pg_basebackup, or copy the harvest
            into a SQLite file with harvest db copy --from URL --to FILE.sqlite.
            Exit codes: 0 written, 4 DEST refused, 5 database error (nothing written).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Where to write the copy.")
    var destination: String

    func run() throws {
        global.bootstrapLogging()
        let path: String
        do {
            path = try global.location().sqliteFile(
                for: "backup", why: "copies a SQLite file (VACUUM INTO)",
                instead: "back up PostgreSQL with pg_dump (this database) or pg_basebackup (the whole cluster), "
                    + "or write a SQLite copy of the harvest with harvest db copy --from URL --to FILE.sqlite")
        } catch {
            throw fail(error)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            printError("\(path) does not exist; nothing to back up — check --db")
            throw ExitCode(HarvestExit.badInput)
        }
        do {
            let store = try SQLiteStore(path: path)
            defer { store.close() }
            let started = Date()
            let summary = try store.backup(to: destination)
            let seconds = Date().timeIntervalSince(started)
            printStatus("backup of \(path) written to \(summary.path): \(summary.bytes) bytes, \(summary.responses) answers, "
                        + "\(summary.jobs) jobs, integrity ok, \(String(format: "%.1f", seconds)) s")
        } catch let StoreError.invalidInput(what) {
            printError(what)
            throw ExitCode(HarvestExit.badInput)
        } catch {
            throw fail(error)
        }
    }
}
