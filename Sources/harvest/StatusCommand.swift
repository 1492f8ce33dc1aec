import ArgumentParser
import Foundation
import HarvestDaemon
import HarvestJSON
import HarvestKit
import SQLiteStore

/// `harvest status`: per-sweep progress, speed, spend and ETA, read from the database (works whether or not a
/// sweep or `harvest serve` is running).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show prompt sets and sweeps: done/total, failed, req/s, tokens, spend, projected spend and ETA.",
        discussion: """
            req/s counts answers stored in the last minute (by any process); the ETA and projected spend extrapolate the
            latest active run of each sweep. Spend is in the currency of the configured prices. With a config whose
            server.metrics_address answers, the running daemon's teachers follow: rate limits, window, requests sent,
            x-ratelimit pauses, replicas taken out by their breaker, and fail-fast pauses with their reason.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Read the database from this daemon config (database.path or database.url) when --db is not given.")
    var config: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        global.bootstrapLogging()
        do {
            var database = global.databasePath
            var daemon: DaemonConfig?
            if let path = ConfigPaths.locate(explicit: config, useSystemDefault: false) {
                daemon = try DaemonConfig.load(path: path)
                if global.db == nil, let daemon { database = daemon.resolveDatabase(flag: nil) }
            }
            let store = try StoreFactory.open(try StoreLocation(parsing: database))
            defer { store.close() }
            let batches = try await store.batches(sweepId: nil)
            let report = StatusReport(sets: try await store.setNames(), sweeps: try await store.sweepStatuses(),
                                      runs: try await store.latestRuns(now: nil), spend: try await store.sweepSpend(), batches: batches)
            if json {
                print(report.json())
            } else {
                print("database \(database)")
                print(report.table(), terminator: "")
                if let address = daemon?.metricsAddress, let live = await DaemonTrafficStatus.fetch(address) {
                    print(live.table(), terminator: "")
                }
            }
        } catch {
            throw fail(error)
        }
    }
}
