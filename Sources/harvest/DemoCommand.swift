import ArgumentParser
import Foundation
import HarvestExport
import HarvestKit
import SQLiteStore

/// `harvest demo`: the whole path on embedded defaults — import the demo prompts, harvest them from the
/// built-in mock teacher (or --teacher), export a training file, show the status.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run import → sweep → export on the demo prompts with the built-in mock teacher (or --teacher).",
        discussion: "The embedded quick start: it works on a SQLite file only (a PostgreSQL --db is refused, exit 4).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var teacherOptions: TeacherOptions

    @Option(help: "Prompt file to import.")
    var prompts: String = "config/prompts/demo.jsonl"

    @Option(help: "Prompt set name.")
    var set: String = "demo"

    @Option(help: "Samples per prompt.")
    var samples: Int = 2

    @Option(help: "Requests in flight.")
    var concurrency: Int = 64

    @Option(name: [.short, .long], help: "Export file.")
    var output: String = "demo-export.jsonl"

    func validate() throws {
        try teacherOptions.validate()
        if samples < 1 { throw ValidationError("--samples must be at least 1") }
    }

    func run() async throws {
        global.bootstrapLogging()
        let path: String
        do {
            path = try global.location().sqliteFile(
                for: "demo", why: "is the embedded quick start (a SQLite file, nothing to set up)",
                instead: "run it with a SQLite file (no --db, or --db demo.sqlite); on PostgreSQL use "
                    + "harvest import, harvest sweep SET --run and harvest export")
        } catch {
            throw fail(error)
        }
        do {
            let store = try SQLiteStore(path: path)
            let inputs = try PromptFileReader().read(path: prompts)
            let imported = try store.importPrompts(setName: set, prompts: inputs, sourceName: prompts)
            printStatus("1/3 imported \(prompts) into set \"\(set)\": \(imported.added) added, \(imported.unchanged) already present")
        } catch {
            throw fail(error)
        }
        var options = teacherOptions
        if options.maxTokens == nil { options.maxTokens = 128 }
        if options.logprobs == nil { options.logprobs = 5 }
        if options.temperature == nil { options.temperature = 0.7 }
        if options.seed == nil { options.seed = 1 }
        let spec: TeacherSpec
        do {
            spec = try SweepTeacher.resolve(configPath: nil, options: options, traffic: nil, maxInFlight: concurrency, maxAttempts: nil,
                                            keepRaw: false)
        } catch {
            throw fail(error)
        }
        printStatus("2/3 harvesting (\(samples) samples per prompt, top-\(options.logprobs!) logprobs)")
        let code = await SweepDriver(location: .sqlite(path: path), setName: set, spec: spec, samples: samples).run()
        if code != 0 { throw ExitCode(code) }
        do {
            let store = try SQLiteStore(path: path)
            let summary = try Exporter(store: store).export(
                ExportSelection(setName: set), format: OpenAIChatFormat(),
                options: ExportOptions(withLogprobs: true), to: output)
            printStatus("3/3 exported \(summary.rows) rows with logprobs (\(summary.bytes) bytes) to \(output)")
            for s in try store.sweepStatuses().suffix(1) {
                printStatus("sweep \(s.id): \(s.done)/\(s.total) done, \(s.failed) failed, \(s.completionTokens) completion tokens")
            }
        } catch {
            throw fail(error)
        }
    }
}
