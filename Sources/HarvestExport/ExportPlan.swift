#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an export goes (`-o`).
public enum ExportOutput: Sendable, Equatable {
    /// Standard output (`-o -`): one stream, no splits, shards or manifest.
    case stdout
    /// One file, written atomically, with `<file name>.manifest.json` beside it.
    case file(String)
    /// A new or empty folder holding only the data files; the manifest is `<folder>.manifest.json` beside it.
    case directory(String)

    /// Reads an `-o` argument: `-` is standard output; an existing folder, a path ending in `/`, or any path
    /// when the layout needs several files (`needsDirectory`: splits or shards) is a folder; anything else a file.
    public static func resolve(_ argument: String, needsDirectory: Bool) -> ExportOutput {
        if argument == "-" { return .stdout }
        var st = stat()
        let isDirectory = stat(argument, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        if isDirectory || argument.hasSuffix("/") || needsDirectory {
            var path = argument
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            return .directory(path)
        }
        return .file(argument)
    }
}

/// Shard size limits; a shard is closed before a row that would exceed either (a single row larger than
/// ``maxBytes`` gets a shard of its own).
public struct ShardLimits: Sendable, Equatable {
    /// At most this many rows per file (`--shard-rows`).
    public var maxRows: Int?
    /// At most this many uncompressed bytes per file (`--shard-bytes`).
    public var maxBytes: Int?

    /// No limits: one file per split.
    public static let none = ShardLimits()

    /// Creates limits.
    public init(maxRows: Int? = nil, maxBytes: Int? = nil) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
    }

    /// True when either limit is set.
    public var isSharded: Bool { maxRows != nil || maxBytes != nil }
}

/// Everything that decides what an export writes: format and options, splits, shards, compression and target.
public struct ExportPlan: Sendable {
    /// The row layout.
    public var format: any ExportFormat
    /// Reasoning and logprob options.
    public var options: ExportOptions
    /// Where the files go.
    public var output: ExportOutput
    /// Prefix of data file names in a folder (`data` → `data-train-00000-of-00002.jsonl`).
    public var name: String
    /// Optional `--split`.
    public var split: SplitSpec?
    /// Optional `--shard-rows` / `--shard-bytes`.
    public var shards: ShardLimits
    /// gzip-compress each file (`.jsonl.gz`).
    public var gzip: Bool
    /// zlib level for `gzip` (1 fastest … 9 smallest; 6 is zlib's default).
    public var gzipLevel: Int
    /// Files the export must never replace (the database it reads and its `-wal`/`-shm`; see
    /// ``ExportTarget/databaseFiles(_:)``).
    public var protectedPaths: [String] = []

    /// Creates a plan. Options without a reasoning mode get the format's ``ExportFormat/defaultReasoning``.
    public init(format: any ExportFormat, options: ExportOptions = ExportOptions(), output: ExportOutput,
                name: String = "data", split: SplitSpec? = nil, shards: ShardLimits = .none,
                gzip: Bool = false, gzipLevel: Int = 6) {
        self.format = format
        var options = options
        if !options.reasoningGiven { options.reasoning = format.defaultReasoning }
        self.options = options
        self.output = output
        self.name = name
        self.split = split
        self.shards = shards
        self.gzip = gzip
        self.gzipLevel = gzipLevel
    }

    /// File extension of data files.
    public var fileExtension: String { gzip ? ".jsonl.gz" : ".jsonl" }

    /// Checks that the plan can be written; throws ``ExportError/invalidPlan(_:)`` saying what to change.
    public func validate() throws(ExportError) {
        if let rows = shards.maxRows, rows < 1 {
            throw .invalidPlan("--shard-rows must be at least 1, got \(rows)")
        }
        if let bytes = shards.maxBytes, bytes < 1 {
            throw .invalidPlan("--shard-bytes must be at least 1, got \(bytes)")
        }
        guard format.reasoningModes.contains(options.reasoning) else {
            let modes = format.reasoningModes.map(\.rawValue).joined(separator: " or ")
            var text = "--format \(format.name) takes --reasoning \(modes), not \(options.reasoning.rawValue)"
            if format.name == "openai" {
                text += " (OpenAI's fine-tuning rejects a reasoning_content key; use --format trl --reasoning field for TRL chat templates that render it)"
            }
            throw .invalidPlan(text)
        }
        guard (1...9).contains(gzipLevel) else {
            throw .invalidPlan("gzip level must be 1…9, got \(gzipLevel)")
        }
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name.utf8.count <= 128 else {
            throw .invalidPlan("file name prefix \"\(name)\" must be a plain file name without / and not start with a dot")
        }
        switch output {
        case .stdout:
            if split != nil || shards.isSharded {
                throw .invalidPlan("standard output (-o -) is a single stream: --split, --shard-rows and --shard-bytes need a folder, e.g. -o out/")
            }
        case .file(let path):
            if split != nil || shards.isSharded {
                throw .invalidPlan("\(path) is a single file: --split, --shard-rows and --shard-bytes need a folder, e.g. -o out/")
            }
            if path.isEmpty || path.hasSuffix("/") { throw .invalidPlan("output file path \"\(path)\" is not a file name") }
        case .directory(let path):
            if path.isEmpty { throw .invalidPlan("output folder path is empty") }
        }
    }
}
