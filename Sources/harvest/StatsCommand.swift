import ArgumentParser
import HarvestKit
import SQLiteStore

/// `harvest stats`: sizes, token lengths, mean logprob, finish reasons and curation drops of a set.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a set's prompts, responses, completion tokens (mean/median/p95), mean token logprob, finish and drop reasons.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The prompt set.")
    var set: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        global.bootstrapLogging()
        do {
            let store = try StoreFactory.open(try global.location())
            defer { store.close() }
            let stats = try SetStats.compute(store: store, setName: set)
            print(json ? stats.json() : stats.table(), terminator: json ? "\n" : "")
        } catch {
            throw fail(error)
        }
    }
}
