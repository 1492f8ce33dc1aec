import ArgumentParser
import Foundation
import HarvestDaemon
import Logging

/// `harvest serve`: the daemon. Works off queued sweep runs until SIGTERM; made for systemd (`Type=notify`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: send the jobs of queued sweeps (harvest sweep NAME) to the configured teachers.",
        discussion: """
            Reads the config from --config, $HARVEST_CONFIG or /etc/harvest/harvest.json (docs/CONFIG.md). The database
            is --db, else database.path of the config, else $HARVEST_DB, else ./harvest.sqlite.
            SIGTERM/SIGINT: claim nothing new, let in-flight requests finish (up to drain_seconds), store their answers,
            hand the rest back, exit 0. SIGHUP: reload the config (a broken one is logged and the old one kept).
            Under systemd: READY=1 once the database is open, STATUS= progress, WATCHDOG=1, STOPPING=1.
            Exit codes: 0 stopped by a signal, 1 error (e.g. the metrics address is taken), 4 bad config, 5 database error.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Daemon config file.", discussion: "Default: $HARVEST_CONFIG, else /etc/harvest/harvest.json.", valueName: "file"))
    var config: String?

    func run() async throws {
        let level = Logger.Level(rawValue: global.logLevel) ?? .notice
        LoggingSystem.bootstrap { _ in DaemonLogHandler(level: level) }
        let logger = Logger(label: "harvest.serve")
        let path = ConfigPaths.locate(explicit: config, useSystemDefault: true) ?? ConfigPaths.systemDefault
        do {
            let serve = try await ServeService.start(configPath: path, databaseFlag: global.db, logger: logger)
            try await serve.run()
        } catch {
            throw fail(error)
        }
    }
}
