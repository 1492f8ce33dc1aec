import ArgumentParser
import HarvestExport
import HarvestKit
import SQLiteStore

/// `harvest export`: write a JSONL training file, streaming, atomically.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export stored answers as a JSONL training file (temp file + rename; -o - for stdout).")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Only answers to prompts of this set.")
    var set: String?

    @Option(help: "Only answers of this sweep id.")
    var sweep: Int64?

    @Option(help: "Format: \(Exporter.formats.keys.sorted().joined(separator: ", ")).")
    var format: String = "openai"

    @Option(name: [.short, .long], help: "Output file, or - for standard output.")
    var output: String

    @Flag(help: "Add the teacher's token logprobs (with top-k alternatives) to each row.")
    var withLogprobs = false

    @Option(help: "Reasoning text: inline (<think>…</think> before the answer), field, or drop.")
    var reasoning: String = "field"

    @Option(help: "Write at most this many rows.")
    var limit: Int?

    func validate() throws {
        guard Exporter.formats[format] != nil else {
            throw ValidationError("--format must be one of \(Exporter.formats.keys.sorted().joined(separator: ", "))")
        }
        guard ReasoningMode(rawValue: reasoning) != nil else { throw ValidationError("--reasoning must be inline, field or drop") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() async throws {
        global.bootstrapLogging()
        do {
            let store = try SQLiteStore(path: global.databasePath)
            if let set, !(try store.setNames().contains { $0.name == set }) { throw StoreError.unknownSet(set) }
            let options = ExportOptions(withLogprobs: withLogprobs, reasoning: ReasoningMode(rawValue: reasoning)!)
            let summary = try Exporter(store: store).export(
                Exporter.Selection(setName: set, sweepId: sweep, limit: limit), format: Exporter.formats[format]!,
                options: options, to: output)
            printStatus("exported \(summary.rows) rows (\(summary.bytes) bytes) to \(output == "-" ? "stdout" : output)")
        } catch {
            throw fail(error)
        }
    }
}
