import ArgumentParser
import HarvestKit
import SQLiteStore

/// `harvest inspect ID`: one stored response in full, with its curation marks.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show one response: prompt, answer, reasoning, usage, per-token logprobs with top-k, and its curation marks.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The response id (responses.id; see `harvest export --format raw` or curation marks).")
    var responseId: Int64

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Most tokens in the text logprob table.")
    var maxTokens = 200

    func run() async throws {
        global.bootstrapLogging()
        do {
            let store = try StoreFactory.open(try global.location())
            defer { store.close() }
            guard let inspection = try ResponseInspection.load(store: store, id: responseId) else {
                printError("no response with id \(responseId) in \(store.location) (ids are responses.id)")
                throw ExitCode(HarvestExit.unknownName)
            }
            print(json ? inspection.json() : inspection.text(maxTokens: max(0, maxTokens)), terminator: json ? "\n" : "")
        } catch let code as ExitCode {
            throw code
        } catch {
            throw fail(error)
        }
    }
}
