import ArgumentParser
import Foundation
import HarvestKit
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database file, or a PostgreSQL URL postgres://user@host/db (no password: PGPASSWORD or ~/.pgpass).",
                                            discussion: "Default: $HARVEST_DB, else ./harvest.sqlite. PostgreSQL works with import, sweep (also --via batch), serve (batch runs included), status, init, export, inspect, stats, score, rescue, batch and curate (backup and demo are SQLite only).",
                                            valueName: "path|url"))
    var db: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "notice"

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["HARVEST_DB"] ?? StoreLocation.defaultPath
    }

    /// The database as a location of either backend (a URL with a password is refused).
    func location() throws -> StoreLocation {
        try StoreLocation(parsing: databasePath)
    }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
    }

    func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
