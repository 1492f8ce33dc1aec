import ArgumentParser
import Foundation
import HarvestKit
import PostgresStore
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
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: config),
           !FileManager.default.fileExists(atPath: config) {
            // A dangling symlink: writing would create a file wherever it points (another user's path, /etc, ...).
            printError("\(config): is a symbolic link to \(target), which does not exist; refusing to write through it "
                + "— remove the link or pass another --config")
            throw ExitCode(HarvestExit.badInput)
        }
        do {
            let location = try global.location()
            let store = try StoreFactory.open(location)
            store.close()
            let version = location.isPostgres ? PostgresMigrations.latestVersion : Migrations.latestVersion
            printStatus("database ready: \(location) (schema version \(version))")
            if !FileManager.default.fileExists(atPath: config) {
                // withoutOverwriting (O_EXCL): never follows a link created meanwhile, never replaces a file.
                try Data(Self.exampleConfig(for: location).utf8).write(to: URL(fileURLWithPath: config), options: .withoutOverwriting)
                printStatus("example config written: \(config)")
            }
        } catch {
            throw fail(error)
        }
    }

    /// The example config; for a PostgreSQL database it names it (`database.url`), so `harvest serve --config` and
    /// `harvest sweep NAME --config` use the database just created.
    static func exampleConfig(for location: StoreLocation) -> String {
        guard case .postgres(let url) = location else { return ConfigExample.text }
        let quoted = url.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ConfigExample.text.replacingOccurrences(of: "{\n  \"server\"", with: "{\n  \"database\": {\"url\": \"\(quoted)\"},\n  \"server\"")
    }
}
