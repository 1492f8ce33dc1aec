import HarvestJSON

/// The record written as `<output>.manifest.json` beside an export (a file or a folder): its files with row counts, sizes and SHA-256,
/// the format and layout, the teachers, models and sampling parameters seen, logprob settings, the time range
/// of the answers, the harvest version and curation counts.
public struct ExportManifest: Sendable, Equatable {
    /// One data file.
    public struct File: Sendable, Equatable {
        /// Path relative to the folder holding the manifest (`x.jsonl`, or `out/data-train.jsonl` for folder `out`).
        public var path: String
        /// Split name, nil without `--split`.
        public var split: String?
        /// Shard index within the split (0-based).
        public var shard: Int
        /// Rows in the file.
        public var rows: Int
        /// Size on disk (compressed with gzip).
        public var bytes: Int
        /// JSONL bytes before compression.
        public var uncompressedBytes: Int
        /// Lowercase hex SHA-256 of the file as written.
        public var sha256: String
    }

    /// A teacher endpoint seen in the rows.
    public struct Teacher: Sendable, Hashable, Comparable {
        /// Base URL.
        public var baseURL: String
        /// Requested model.
        public var model: String
        /// `chat` or `completions`.
        public var kind: String

        /// Orders by base URL, model, kind.
        public static func < (a: Teacher, b: Teacher) -> Bool {
            (a.baseURL, a.model, a.kind) < (b.baseURL, b.model, b.kind)
        }
    }

    /// Version of this manifest's layout (2: manifest beside the output, no empty files, `empty_splits`, `load`).
    public static let manifestVersion = 2
    /// Appended to the output's path to name its manifest.
    public static let suffix = ".manifest.json"

    /// `--format` name.
    public var format: String
    /// Format options.
    public var options: ExportOptions
    /// File name prefix.
    public var name: String
    /// `--split`, if any.
    public var split: SplitSpec?
    /// Shard limits.
    public var shards: ShardLimits
    /// Whether files are gzip-compressed.
    public var gzip: Bool
    /// Data files in split order, then shard order.
    public var files: [File]
    /// Rows written in all.
    public var rows: Int
    /// Teachers asked, sorted.
    public var teachers: [Teacher]
    /// Model ids the servers reported, sorted.
    public var models: [String]
    /// Canonical JSON of each distinct sampling-parameter set, sorted.
    public var samplingParams: [String]
    /// Rows that carried token logprobs.
    public var rowsWithLogprobs: Int
    /// Distinct `top_logprobs` values requested, sorted.
    public var topLogprobsRequested: [Int]
    /// Distinct top-k list lengths found in the stored logprobs, sorted.
    public var topKSeen: [Int]
    /// How many rows with logprobs carry token ids (written as `logprobs.token_ids`).
    public var tokenIds = TokenIdCoverage()
    /// Where the logprobs come from (written as `provenance`).
    public var provenance = Provenance()
    /// Earliest and latest `received_at` (Unix seconds), nil when no rows.
    public var receivedAt: ClosedRange<Double>?
    /// The harvest version that wrote the export.
    public var harvestVersion: String
    /// Unix time the export finished.
    public var createdAt: Double
    /// Rows left out by curation, by reason (given by the caller).
    public var curation: [String: Int]
    /// Rows the format could not write, by reason (e.g. `no_logprobs` for `kd`).
    public var skipped: [String: Int]
    /// Declared splits that received no rows (they have no file).
    public var emptySplits: [String] = []
    /// For a folder export, the folder's name (relative to the manifest); nil otherwise.
    public var folder: String?
    /// Where the manifest was written (nil for standard output); not part of the JSON.
    public var manifestPath: String?

    /// Total bytes on disk (compressed when gzip).
    public var bytes: Int { files.reduce(0) { $0 + $1.bytes } }
    /// Total JSONL bytes before compression.
    public var uncompressedBytes: Int { files.reduce(0) { $0 + $1.uncompressedBytes } }

    /// The manifest as indented JSON (with a final newline).
    public var jsonText: String {
        var w = JSONWriter(capacity: 4096)
        writeJSON(to: &w)
        return String(decoding: PrettyJSON.indent(w.bytes), as: UTF8.self) + "\n"
    }

    /// Writes the manifest as compact JSON.
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.key("manifest_version"); w.int(Self.manifestVersion)
        w.key("harvest_version"); w.string(harvestVersion)
        w.key("created_at"); w.string(ISOTime.format(createdAt))
        w.key("format"); w.string(format)
        w.key("options")
        w.beginObject()
        w.key("reasoning"); w.string(options.reasoning.rawValue)
        w.key("with_logprobs"); w.bool(options.withLogprobs)
        w.endObject()
        w.key("layout")
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("split")
        if let split {
            w.beginObject()
            for p in split.parts { w.key(p.name); w.double(p.fraction) }
            w.endObject()
        } else {
            w.null()
        }
        w.key("shard_rows"); if let r = shards.maxRows { w.int(r) } else { w.null() }
        w.key("shard_bytes"); if let b = shards.maxBytes { w.int(b) } else { w.null() }
        w.key("gzip"); w.bool(gzip)
        w.endObject()
        w.key("rows"); w.int(rows)
        w.key("bytes"); w.int(bytes)
        w.key("uncompressed_bytes"); w.int(uncompressedBytes)
        w.key("folder"); w.stringOrNull(folder)
        w.key("empty_splits"); w.beginArray(); for s in emptySplits { w.string(s) }; w.endArray()
        w.key("files")
        w.beginArray()
        for f in files {
            w.beginObject()
            w.key("path"); w.string(f.path)
            w.key("split"); w.stringOrNull(f.split)
            w.key("shard"); w.int(f.shard)
            w.key("rows"); w.int(f.rows)
            w.key("bytes"); w.int(f.bytes)
            w.key("uncompressed_bytes"); w.int(f.uncompressedBytes)
            w.key("sha256"); w.string(f.sha256)
            w.endObject()
        }
        w.endArray()
        w.key("teachers")
        w.beginArray()
        for t in teachers {
            w.beginObject()
            w.key("base_url"); w.string(t.baseURL)
            w.key("model"); w.string(t.model)
            w.key("kind"); w.string(t.kind)
            w.endObject()
        }
        w.endArray()
        w.key("models"); w.beginArray(); for m in models { w.string(m) }; w.endArray()
        w.key("sampling_params"); w.beginArray(); for p in samplingParams { w.raw(p) }; w.endArray()
        w.key("logprobs")
        w.beginObject()
        w.key("rows_with_logprobs"); w.int(rowsWithLogprobs)
        w.key("top_logprobs_requested"); w.beginArray(); for k in topLogprobsRequested { w.int(k) }; w.endArray()
        w.key("top_k_seen"); w.beginArray(); for k in topKSeen { w.int(k) }; w.endArray()
        w.key("token_ids")
        w.beginObject()
        w.key("rows_with_ids"); w.int(tokenIds.rowsWithIds)
        w.key("rows_without_ids"); w.int(tokenIds.rowsWithoutIds)
        w.key("teachers_without_ids"); w.beginArray(); for m in tokenIds.teachersWithoutIds { w.string(m) }; w.endArray()
        w.endObject()
        w.endObject()
        w.key("provenance"); writeProvenance(to: &w)
        w.key("received_at")
        if let r = receivedAt {
            w.beginObject()
            w.key("first"); w.string(ISOTime.format(r.lowerBound))
            w.key("last"); w.string(ISOTime.format(r.upperBound))
            w.key("first_unix"); w.double(r.lowerBound)
            w.key("last_unix"); w.double(r.upperBound)
            w.endObject()
        } else {
            w.null()
        }
        w.key("curation")
        w.beginObject()
        for (reason, count) in curation.sorted(by: { $0.key < $1.key }) { w.key(reason); w.int(count) }
        w.endObject()
        w.key("skipped")
        w.beginObject()
        for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) { w.key(reason); w.int(count) }
        w.endObject()
        w.key("load")
        LoaderHints(manifest: self).write(to: &w)
        w.endObject()
    }
}
