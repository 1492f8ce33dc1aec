import ArgumentParser
import HarvestExport
import HarvestKit
import SQLiteStore

/// `harvest export`: write JSONL training files, streaming, atomically, with a manifest.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export stored answers as JSONL training files (atomic; a manifest beside them; -o - for stdout).",
        discussion: """
            Formats: openai (messages), sharegpt (LLaMA-Factory), alpaca, trl (prompt/completion), kd (per-token top-k
            logprobs for axolotl's KD plugin: target_token_ids + logprobs for `type: axolotl.integrations.kd.chat_template`,
            which needs --kd-closing-ids; --kd-shape legacy for load_legacy; rows without token ids are refused and
            counted), raw (everything stored). See docs/FORMATS.md for the exact keys.
            -o FILE writes one file and FILE.manifest.json beside it; -o DIR/ (or any -o with --split/--shard-*) writes
            DIR/data[-split][-00000-of-00003].jsonl[.gz] into a new or empty folder, all at once, and DIR.manifest.json
            beside the folder (with the load_dataset call and LLaMA-Factory dataset_info.json entries). Splits without
            rows get no file. -o never replaces the database, its -wal/-shm, a device, a FIFO or a folder (exit 4).
            Ctrl-C stops an export and leaves nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Only answers to prompts of this set.")
    var set: String?

    @Option(help: "Only answers of this sweep id.")
    var sweep: Int64?

    @Option(help: "Only answers from this teacher (its name, base URL or model).")
    var teacher: String?

    @Option(help: "Only answers received since this date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds).")
    var since: String?

    @Option(help: "Format: \(ExportFormats.names.joined(separator: ", ")).")
    var format: String = "openai"

    @Option(name: [.short, .long], help: "Output file, folder, or - for standard output.")
    var output: String

    @Option(help: "Name of the export: the data file stem in a folder, and the key of --incremental.")
    var name: String = "data"

    @Flag(help: "Only rows not written by an earlier incremental export of the same --name.")
    var incremental = false

    @Flag(help: "Add the teacher's token logprobs (with top-k alternatives) to each row.")
    var withLogprobs = false

    @Option(help: "kd only: current (axolotl's loader for `type: axolotl.integrations.kd.chat_template`: target_token_ids + per-position logprobs) or legacy (load_legacy: token_id:N entries).")
    var kdShape: String = "current"

    @Option(help: "kd current shape, required: the token ids the student's chat template writes after the assistant's answer (ChatML/SmolLM2/Qwen: <|im_end|> and newline, e.g. 2,198), or none. axolotl right-aligns the logprobs to the end of the tokenized conversation.")
    var kdClosingIds: String?

    @Option(help: "kd only: the temperature the teacher's logprobs describe, written on every row and in the manifest's axolotl entries (default: the sampling temperature sent; vLLM's default raw logprobs are at 1.0).")
    var kdTemperature: Double?

    @Option(help: "Reasoning text: inline (<think>…</think> before the answer), field (reasoning_content; not for openai), or drop. Default: inline, field for kd and raw.")
    var reasoning: String?

    @Option(help: "Samples per prompt: all, first, or best (a correct one when the set is verified; else highest mean token logprob).")
    var samples: String = "all"

    @Option(help: "How --samples best ranks a prompt's correct samples: logprob (highest mean) or shortest.")
    var bestBy: String = "logprob"

    @Option(help: "Only prompts whose pass rate (correct / verified answers, see curate --verify) is at least this (needs --set).")
    var minPassRate: Double?

    @Option(help: "Only prompts whose pass rate is at most this (needs --set).")
    var maxPassRate: Double?

    @Option(parsing: .unconditional, help: "Drop answers whose mean token logprob is below this (e.g. -2.5).")
    var minMeanLogprob: Double?

    @Option(help: "Splits by a stable hash of the prompt, e.g. train=0.98,val=0.02.")
    var split: String?

    @Option(help: "Start a new shard after this many rows.")
    var shardRows: Int?

    @Option(help: "Start a new shard before this many bytes (uncompressed).")
    var shardBytes: Int?

    @Flag(help: "Compress the files with gzip (.jsonl.gz).")
    var gzip = false

    @Option(help: "Write at most this many rows.")
    var limit: Int?

    @Flag(help: "Also export answers that `harvest curate` marked as dropped.")
    var includeDropped = false

    func validate() throws {
        guard ExportFormats.named(format) != nil else {
            throw ValidationError("--format must be one of \(ExportFormats.names.joined(separator: ", "))")
        }
        if let reasoning, ReasoningMode(rawValue: reasoning) == nil { throw ValidationError("--reasoning must be inline, field or drop") }
        guard ExportSelection.Samples(rawValue: samples) != nil else { throw ValidationError("--samples must be all, first or best") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        guard ExportSelection.BestBy(rawValue: bestBy) != nil else { throw ValidationError("--best-by must be logprob or shortest") }
        for (flag, v) in [("--min-pass-rate", minPassRate), ("--max-pass-rate", maxPassRate)] {
            if let v, !(0...1).contains(v) { throw ValidationError("\(flag) must be between 0 and 1") }
            if v != nil && set == nil { throw ValidationError("\(flag) needs --set (pass rates are per set)") }
        }
        try validateKD()
        if let shardRows, shardRows < 1 { throw ValidationError("--shard-rows must be at least 1") }
        if let shardBytes, shardBytes < 1 { throw ValidationError("--shard-bytes must be at least 1") }
        if let since, ExportSelection.parseSince(since) == nil {
            throw ValidationError("--since must be YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds")
        }
        if output == "-" && (split != nil || shardRows != nil || shardBytes != nil) {
            throw ValidationError("standard output (-o -) takes one stream: drop --split/--shard-rows/--shard-bytes or give a folder")
        }
        if let split {
            do { _ = try SplitSpec(parsing: split) } catch { throw ValidationError("--split: \(error)") }
        }
    }

    func run() async throws {
        global.bootstrapLogging()
        do {
            let store = try StoreFactory.open(try global.location())
            defer { store.close() }
            if let set, try !store.setExists(set) { throw StoreError.unknownSet(set) }
            let splitSpec = try split.map { try SplitSpec(parsing: $0) }
            let shards = ShardLimits(maxRows: shardRows, maxBytes: shardBytes)
            let plan = ExportPlan(
                format: try exportFormat(),
                options: ExportOptions(withLogprobs: withLogprobs, reasoning: reasoning.flatMap(ReasoningMode.init(rawValue:))),
                output: ExportOutput.resolve(output, needsDirectory: splitSpec != nil || shards.isSharded),
                name: name, split: splitSpec, shards: shards, gzip: gzip)
            var selection = ExportSelection(setName: set, sweepId: sweep, teacher: teacher, since: since.flatMap(ExportSelection.parseSince),
                                            minMeanLogprob: minMeanLogprob, samples: ExportSelection.Samples(rawValue: samples)!, limit: limit,
                                            includeDropped: includeDropped)
            selection.bestBy = ExportSelection.BestBy(rawValue: bestBy)!
            selection.minPassRate = minPassRate
            selection.maxPassRate = maxPassRate
            let stop = StopSignal()
            let trap = SignalTrap(stop: stop, drainSeconds: nil, messages: .export)
            defer { trap.cancel() }
            let summary = try Exporter(store: store).export(selection, plan: plan, incrementalName: incremental ? name : nil,
                                                            harvestVersion: HarvestVersion.string, stop: stop)
            if !summary.repaired.isEmpty {
                printStatus("removed \(summary.repaired.count) leftover file(s) of a killed export from \(output): "
                    + summary.repaired.prefix(5).joined(separator: ", "))
            }
            var size = "\(summary.bytes) bytes"
            if gzip { size += " on disk, \(summary.uncompressedBytes) uncompressed" }
            var line = "exported \(summary.rows) rows (\(size)) to \(output == "-" ? "stdout" : output)"
            if !summary.skipped.isEmpty {
                line += "; skipped " + summary.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            }
            if let manifest = summary.manifestPath { line += "; manifest \(manifest)" }
            printStatus(line)
            if let refused = summary.skipped[KDFormat.noTokenIds] {
                printStatus("refused \(refused) rows without token ids (teachers: "
                    + summary.teachersWithoutIds.joined(separator: ", ") + "): axolotl KD needs ids; harvest vLLM with "
                    + "--token-ids (config token_ids: true); OpenAI and DeepSeek cannot send them, SGLang's OpenAI routes "
                    + "send none for the alternatives")
            }
            if let unaligned = summary.skipped[KDFormat.scoredUnaligned] {
                printStatus("refused \(unaligned) scored sequences whose answer is not found on the scored tokens' boundaries "
                    + "(scored_unaligned: docs/FORMATS.md, kd — scored sequences)")
            }
        } catch {
            throw fail(error)
        }
    }
}
