import ArgumentParser
import Foundation
import HarvestKit
import SQLiteStore

/// `harvest init`: create the database (running migrations) and an example config.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the database and an example config (harvest.json) if missing.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Where to write the example config (not overwritten when it exists).")
    var config: String = "harvest.json"

    func run() async throws {
        global.bootstrapLogging()
        do {
            _ = try SQLiteStore(path: global.databasePath)
            printStatus("database ready: \(global.databasePath) (schema version \(Migrations.latestVersion))")
            if !FileManager.default.fileExists(atPath: config) {
                try Data(ConfigExample.text.utf8).write(to: URL(fileURLWithPath: config))
                printStatus("example config written: \(config)")
            }
        } catch {
            throw fail(error)
        }
    }
}
