import ArgumentParser
import Foundation
import HarvestKit
import SQLiteStore

/// `harvest rescue import [FILE]`: store the answers of a rescue file in the database, exactly once.
struct RescueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescue",
        abstract: "Work with rescue files (paid answers the database refused, e.g. on a full disk).",
        subcommands: [Import.self])

    /// `harvest rescue import [FILE]`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Store the answers of a rescue file in the database (each job once), then move the file aside.",
            discussion: """
                FILE defaults to harvest-rescue.jsonl beside a SQLite database; for PostgreSQL (--db postgres://…) to
                harvest-rescue.jsonl in the working directory, where `harvest sweep --run` writes it (`harvest serve` writes
                it beside its config file: give that path). A job that is already done keeps its answer
                (importing twice stores nothing twice). After the commit the file is renamed to FILE.imported-<unix time>.
                `harvest sweep --run` and `harvest serve` import the default rescue file by themselves at start.
                Exit codes: 0 imported (or nothing to import), 4 a line is not a rescued answer (nothing imported),
                5 database error (nothing imported; the file is kept).
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The rescue file (default: harvest-rescue.jsonl beside a SQLite database; ./harvest-rescue.jsonl for PostgreSQL).")
        var file: String?

        func run() async throws {
            global.bootstrapLogging()
            do {
                let location = try global.location()
                let path = file ?? location.defaultRescueFile()
                let store = try StoreFactory.open(location)
                defer { store.close() }
                if let summary = try await RescueImporter.importFile(path, into: store) {
                    printStatus(DiskSafety.describe(summary))
                } else {
                    printStatus("nothing to import: \(path) does not exist or is empty")
                }
            } catch let e as RescueError {
                printError(e.description)
                if case .badLine = e { throw ExitCode(HarvestExit.badInput) }
                throw ExitCode(HarvestExit.failure)
            } catch {
                throw fail(error)
            }
        }
    }
}
