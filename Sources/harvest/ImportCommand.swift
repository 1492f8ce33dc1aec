import ArgumentParser
import HarvestKit
import HarvestVerify
import SQLiteStore

/// `harvest import FILE --set NAME`: read a prompt file into a prompt set, all or nothing.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import prompts (JSONL, CSV or text) into a prompt set. All or nothing; re-importing is a no-op.",
        discussion: """
            JSONL lines: {"id": "...", "prompt": "..."} or {"id": "...", "messages": [{"role": "user", "content": "..."}]},
            optional "system" (string), "metadata" (any JSON), "answer" (reference answer) and "verifier".
            CSV: a header row and the prompt in --column (optional answer and verifier columns).
            Text: one prompt per non-empty line. Errors name the file, line and field; nothing is written then.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Prompt file (.jsonl/.json, .csv, anything else is read as text).")
    var file: String

    @Option(name: .long, help: "Prompt set to add the prompts to (created when missing).")
    var set: String

    @Option(help: "File format: jsonl, csv or text (default: from the extension).")
    var format: String?

    @Option(help: "CSV column with the prompt.")
    var column: String = "prompt"

    @Option(help: "CSV column with the id (used when present).")
    var idColumn: String = "id"

    @Option(help: "A system message for prompts that have none.")
    var system: String?

    @Option(help: "JSONL field with the reference answer (a JSON Schema object for verifier json).")
    var answerField: String = "answer"

    @Option(help: "CSV column with the reference answer (used when present).")
    var answerColumn: String = "answer"

    @Option(help: "Verifier for prompts that name none (JSONL field / CSV column \"verifier\"): math, choice, exact, regex, json or none.")
    var verifier: String?

    @Flag(help: "An SFT file to score: JSONL \"messages\" ending in the assistant turn (scored by harvest sweep SET --run --score FORM).")
    var sft = false

    func validate() throws {
        if let format, PromptFileFormat(rawValue: format) == nil {
            throw ValidationError("--format must be jsonl, csv or text")
        }
        if set.isEmpty { throw ValidationError("--set must not be empty") }
        if let verifier, VerifierKind(name: verifier) == nil { throw ValidationError("--verifier must be one of \(VerifierKind.names)") }
    }

    func run() async throws {
        global.bootstrapLogging()
        do {
            var reader = PromptFileReader(promptColumn: column, idColumn: idColumn, defaultSystem: system)
            reader.answerField = answerField
            reader.answerColumn = answerColumn
            reader.defaultVerifier = verifier.flatMap(VerifierKind.init(name:))
            reader.sft = sft
            let prompts = try reader.read(path: file, format: format.flatMap(PromptFileFormat.init(rawValue:)))
            let store = try StoreFactory.open(try global.location())
            defer { store.close() }
            let summary = try await store.importPrompts(setName: set, prompts: prompts, sourceName: file)
            print("imported \(file) into set \"\(set)\": \(summary.added) added, \(summary.unchanged) already present")
        } catch {
            throw fail(error)
        }
    }
}
