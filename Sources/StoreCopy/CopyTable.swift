/// A column of a copied table and how its values are stored.
public struct CopyColumn: Sendable {
    /// Storage kinds (SQLite's declared type; PostgreSQL's type family).
    public enum Kind: Sendable { case int, real, text, blob }
    /// Column name (the same in both schemas).
    public let name: String
    /// Storage kind.
    public let kind: Kind
}

/// One table ``StoreCopier`` copies: its columns (the same in both schemas), the key it is read in order of, and
/// what is special about it. Tables are listed parents first (``all``), so foreign keys hold after every batch.
///
/// A new table in both schemas is one entry in ``all``; the schema parity test fails until it is listed (or named
/// in ``notCopied``).
public struct CopyTable: Sendable {
    /// Table name.
    public let name: String
    /// Columns, in the order read and written.
    public let columns: [CopyColumn]
    /// The primary key's columns (a prefix-free subset of ``columns``), the order rows are read in.
    public let key: [String]
    /// Whether the key is one integer column `id` (a `bigserial` in PostgreSQL): a resumed copy starts after the
    /// target's largest id, and PostgreSQL's sequence is moved past the copied ids.
    public let serialId: Bool
    /// The column that identifies a row's content across databases (prompts: `hash`, jobs: `key`): a target row
    /// with the same id and another identity is a different harvest, and the copy is refused.
    public let identity: String?
    /// Whether column `logprobs` holds blobs that refer to the teacher's vocabulary (`responses`): the read adds the
    /// row's teacher id as one more value, and its indices are rewritten for the target's vocabulary.
    public let logprobs: Bool
    /// Whether rows carry leases (`jobs`): a leased job is copied as pending, without its lease.
    public let leases: Bool

    init(_ name: String, _ columns: [(String, CopyColumn.Kind)], key: [String] = ["id"], identity: String? = nil,
         logprobs: Bool = false, leases: Bool = false) {
        self.name = name
        self.columns = columns.map { CopyColumn(name: $0.0, kind: $0.1) }
        self.key = key
        self.serialId = key == ["id"]
        self.identity = identity
        self.logprobs = logprobs
        self.leases = leases
    }

    /// Positions of the key columns in ``columns``.
    var keyIndices: [Int] { key.map { k in columns.firstIndex { $0.name == k }! } }

    /// Position of a column.
    func index(of column: String) -> Int? { columns.firstIndex { $0.name == column } }

    /// Tables of both schemas that are not copied row by row: `meta` (each database's own facts) and `logprob_vocab`
    /// (copied before the answers, each teacher's entries by key, by ``LogprobCarrier``).
    public static let notCopied: Set<String> = ["meta", "logprob_vocab"]

    /// Every copied table, parents before children.
    public static let all: [CopyTable] = [
        CopyTable("prompt_sets", [("id", .int), ("name", .text), ("created_at", .real)]),
        CopyTable("prompts", [("id", .int), ("hash", .blob), ("messages", .text), ("created_at", .real)], identity: "hash"),
        CopyTable("set_members", [("set_id", .int), ("external_id", .text), ("prompt_id", .int), ("metadata", .text), ("source", .text),
                                  ("line", .int), ("reference", .text), ("verifier", .text)], key: ["set_id", "external_id"]),
        CopyTable("teachers", [("id", .int), ("name", .text), ("base_url", .text), ("model", .text), ("kind", .text), ("api_key_env", .text),
                               ("input_per_million", .real), ("output_per_million", .real)]),
        CopyTable("param_sets", [("id", .int), ("canonical", .text)]),
        CopyTable("sweeps", [("id", .int), ("name", .text), ("set_id", .int), ("teacher_id", .int), ("param_set_id", .int), ("samples", .int),
                             ("created_at", .real), ("status", .text)]),
        CopyTable("jobs", [("id", .int), ("key", .blob), ("prompt_id", .int), ("teacher_id", .int), ("param_set_id", .int),
                           ("sample_index", .int), ("state", .text), ("attempts", .int), ("lease_owner", .text), ("lease_expires", .real),
                           ("last_error", .text), ("created_at", .real), ("updated_at", .real)], identity: "key", leases: true),
        CopyTable("sweep_jobs", [("sweep_id", .int), ("job_id", .int)], key: ["sweep_id", "job_id"]),
        CopyTable("job_key_aliases", [("key", .blob), ("job_id", .int)], key: ["key"]),
        CopyTable("attempts", [("id", .int), ("job_id", .int), ("started_at", .real), ("latency_ms", .real), ("http_status", .int),
                               ("outcome", .text), ("error", .text), ("cost", .real)]),
        CopyTable("responses", [("id", .int), ("job_id", .int), ("attempt_id", .int), ("choice_index", .int), ("content", .text),
                                ("reasoning", .text), ("finish_reason", .text), ("prompt_tokens", .int), ("completion_tokens", .int),
                                ("total_tokens", .int), ("reasoning_tokens", .int), ("model", .text), ("response_id", .text),
                                ("system_fingerprint", .text), ("received_at", .real), ("logprobs", .blob), ("raw", .blob)], logprobs: true),
        CopyTable("sweep_runs", [("id", .int), ("sweep_id", .int), ("state", .text), ("budget", .real), ("spent", .real), ("answers", .int),
                                 ("requested_by", .text), ("created_at", .real), ("finished_at", .real), ("via", .text)]),
        CopyTable("run_jobs", [("run_id", .int), ("job_id", .int)], key: ["run_id", "job_id"]),
        CopyTable("curation_runs", [("id", .int), ("set_name", .text), ("config", .text), ("started_at", .real), ("finished_at", .real),
                                    ("counts", .text)]),
        CopyTable("curation_marks", [("response_id", .int), ("stage", .text), ("reason", .text), ("detail", .text),
                                     ("params_fingerprint", .text), ("run_id", .int), ("created_at", .real)], key: ["response_id", "stage"]),
        CopyTable("curation_hashes", [("set_name", .text), ("target", .text), ("hash", .blob), ("owner_id", .int), ("params_fingerprint", .text)],
                  key: ["set_name", "target", "hash", "params_fingerprint"]),
        CopyTable("curation_signatures", [("set_name", .text), ("target", .text), ("owner_id", .int), ("params_fingerprint", .text),
                                          ("signature", .blob)], key: ["set_name", "target", "owner_id", "params_fingerprint"]),
        CopyTable("curation_progress", [("set_name", .text), ("stage", .text), ("params_fingerprint", .text), ("last_response_id", .int)],
                  key: ["set_name", "stage"]),
        CopyTable("verifications", [("response_id", .int), ("set_id", .int), ("verdict", .text), ("extracted", .text), ("rule", .text),
                                    ("reason", .text), ("verifier", .text), ("run_id", .int), ("created_at", .real)],
                  key: ["response_id", "set_id"]),
        CopyTable("batches", [("id", .int), ("sweep_id", .int), ("ref", .text), ("wire", .text), ("stage", .text), ("provider_status", .text),
                              ("input_file_id", .text), ("provider_batch_id", .text), ("output_file_id", .text), ("error_file_id", .text),
                              ("requests", .int), ("bytes", .int), ("price_factor", .real), ("answered", .int), ("errored", .int),
                              ("returned", .int), ("last_error", .text), ("created_at", .real), ("updated_at", .real), ("finished_at", .real),
                              ("next_poll_at", .real), ("poll_interval", .real), ("worst_cost", .real)]),
        CopyTable("batch_jobs", [("batch_id", .int), ("job_id", .int), ("custom_id", .text), ("outcome", .text)], key: ["batch_id", "job_id"]),
    ]
}
