/// The store's schema as an append-only list of migrations.
///
/// Migration `i` (0-based) takes a database from `PRAGMA user_version = i` to `i + 1`. Migrations are
/// applied in order inside one `BEGIN IMMEDIATE` transaction; `user_version` and the `meta` row
/// `schema_version` are set in the same transaction, so a crash leaves either the old or the new
/// schema. Never edit a released migration: append a new one.
///
/// # Schema version 1
///
/// All times are Unix seconds (`REAL`, fractional). Rows are never deleted.
///
/// - `meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)` — facts about the file: `schema_version`
///   (same as `PRAGMA user_version`), `created_by` (program that created it), `created_at`.
/// - `prompt_sets(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, created_at REAL NOT NULL)` —
///   named collections of prompts, one per import target.
/// - `prompts(id INTEGER PRIMARY KEY, hash BLOB UNIQUE NOT NULL, messages TEXT NOT NULL, created_at REAL NOT NULL)`
///   — content-addressed conversations. `hash` is the 32-byte `PromptHash` (SHA-256 over
///   `role NUL content NUL` per message); `messages` is the JSON array `[{"role","content"},...]`.
///   The same conversation is stored once however many sets or ids refer to it.
/// - `set_members(set_id → prompt_sets, external_id TEXT NOT NULL, prompt_id → prompts, metadata TEXT,
///   source TEXT, line INTEGER, PRIMARY KEY(set_id, external_id))` — the user's id for a prompt within a
///   set, its `metadata` JSON object text, and the file and line it was imported from. An id maps to
///   exactly one prompt per set; importing the same id with other messages is a conflict.
///   Index `(set_id, prompt_id, external_id)`.
/// - `teachers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, base_url TEXT NOT NULL, model TEXT NOT NULL, kind TEXT
///   NOT NULL ('chat'|'completions'), api_key_env TEXT, UNIQUE(name, model, kind))` — teachers by identity
///   (`name`, part of every job key); `base_url` is where it was reached last (updated by each sweep). Only the
///   NAME of the environment variable holding the API key is stored, never the key; the latest sweep
///   created for a teacher sets it.
/// - `param_sets(id INTEGER PRIMARY KEY, canonical TEXT UNIQUE NOT NULL)` — sampling parameters as
///   `SamplingParams.canonicalJSON`.
/// - `sweeps(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, set_id → prompt_sets, teacher_id → teachers,
///   param_set_id → param_sets, samples INTEGER NOT NULL, created_at REAL NOT NULL, status TEXT NOT NULL
///   DEFAULT 'active')` — a request to answer every prompt of a set `samples` times with one teacher and
///   one parameter set. Creating a sweep again with the same name and definition reuses the row (and
///   updates `samples`); the same name with another set, teacher or parameters is refused. `status` is
///   always `'active'` in version 1 (reserved).
/// - `jobs(id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL, prompt_id → prompts, teacher_id → teachers,
///   param_set_id → param_sets, sample_index INTEGER NOT NULL, state TEXT NOT NULL
///   ('pending'|'leased'|'done'|'failed'), attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT,
///   lease_expires REAL, last_error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL)` — one paid
///   request each. `key` is the 32-byte `JobKey` (prompt hash × model × teacher name × endpoint kind ×
///   canonical params × sample index): a key is answered at most once, whichever sweeps share it.
///   `lease_owner`/`lease_expires` are set exactly when `state = 'leased'` (enforced by a CHECK).
///   Index `(state, lease_expires)` serves claiming (pending in id order; expired leases).
/// - `sweep_jobs(sweep_id → sweeps, job_id → jobs, PRIMARY KEY(sweep_id, job_id))` — which jobs a sweep
///   needs (a job may belong to several sweeps). Index `(job_id)`.
/// - `attempts(id INTEGER PRIMARY KEY, job_id → jobs, started_at REAL NOT NULL, latency_ms REAL NOT NULL,
///   http_status INTEGER, outcome TEXT NOT NULL ('success'|'retry'|'fatal'|'cancelled'), error TEXT)` —
///   every request sent to a teacher, kept for accounting. Index `(job_id)`.
/// - `responses(id INTEGER PRIMARY KEY, job_id → jobs UNIQUE, attempt_id → attempts, choice_index INTEGER
///   NOT NULL, content TEXT NOT NULL, reasoning TEXT, finish_reason TEXT, prompt_tokens INTEGER,
///   completion_tokens INTEGER, total_tokens INTEGER, reasoning_tokens INTEGER, model TEXT,
///   response_id TEXT, system_fingerprint TEXT, received_at REAL NOT NULL, logprobs BLOB, raw BLOB)` — at
///   most one answer per job. `logprobs` is the `LogprobCodec` `HLP1` blob, NULL when logprobs were not
///   requested or not sent; `raw` is the response body, kept only with `--keep-raw`.
///
/// # Schema version 2: the daemon's queue and spend (`v2DaemonQueueAndSpend`)
///
/// - `teachers` gains `input_per_million REAL` and `output_per_million REAL` — the configured prices (NULL when
///   unknown), written by `harvest sweep NAME` and `harvest serve` from the config.
/// - `attempts` gains `cost REAL` — what a successful attempt cost, from its usage and the teacher's prices at
///   commit time (NULL when the teacher has no prices; failed attempts are not charged). A duplicate answer (the
///   job already had one) is still charged: it was paid for.
/// - `sweep_runs(id INTEGER PRIMARY KEY, sweep_id → sweeps, state TEXT NOT NULL ('active'|'done'|'budget'),
///   budget REAL, spent REAL NOT NULL DEFAULT 0, answers INTEGER NOT NULL DEFAULT 0, requested_by TEXT,
///   created_at REAL NOT NULL, finished_at REAL)` — one queued run of a sweep (`harvest sweep NAME`). `active`
///   runs are worked off by `harvest serve`; `done` when every linked job is done or failed; `budget` when its
///   spend reached `budget` (its still-pending jobs wait for the next run). `spent`/`answers` add up the cost and
///   count of answers committed for the run's jobs (a job's cost goes to the newest run that links it). At most one
///   run per sweep is `active` (partial unique index `sweep_runs_one_active`).
/// - `run_jobs(run_id → sweep_runs, job_id → jobs, PRIMARY KEY(run_id, job_id))` — the jobs still missing when
///   the run was queued (and those added to it later). Index `(job_id, run_id)`.
///
/// # Schema version 3: curation marks and incremental state (`v3Curation`)
///
/// Curation never deletes responses: it marks them. A response without a row in `curation_marks` is kept.
/// Dedup state and progress are per prompt set (`set_name`), keyed by the stage's parameter fingerprint
/// (`CurationParams.fingerprint`, hex SHA-256 of the stage's canonical parameter JSON).
///
/// - `curation_runs(id INTEGER PRIMARY KEY, set_name TEXT NOT NULL, config TEXT NOT NULL, started_at REAL NOT NULL,
///   finished_at REAL, counts TEXT)` — one `harvest curate` run: `config` is the JSON array of the canonical
///   parameters of every stage, `counts` a JSON object (`seen`, `examined`, `new_marks` by stage, `removed` by stage).
/// - `curation_marks(response_id → responses, stage TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
///   params_fingerprint TEXT NOT NULL, run_id → curation_runs, created_at REAL NOT NULL,
///   PRIMARY KEY(response_id, stage))` — why a response is dropped (`detail` is a JSON object with the evidence).
///   Index `(stage, run_id)`.
/// - `curation_hashes(set_name TEXT NOT NULL, target TEXT NOT NULL ('prompt'|'response'), hash BLOB NOT NULL,
///   owner_id INTEGER NOT NULL, params_fingerprint TEXT NOT NULL, PRIMARY KEY(set_name, target, hash,
///   params_fingerprint))` — exact-dedup hashes (16 bytes) of kept prompts (`owner_id` = prompt id) and responses
///   (`owner_id` = response id).
/// - `curation_signatures(set_name TEXT NOT NULL, target TEXT NOT NULL ('prompt'|'response'), owner_id INTEGER NOT
///   NULL, params_fingerprint TEXT NOT NULL, signature BLOB NOT NULL, PRIMARY KEY(set_name, target, owner_id,
///   params_fingerprint))` — MinHash signatures (4 little-endian bytes per permutation) of kept prompts/responses.
/// - `curation_progress(set_name TEXT NOT NULL, stage TEXT NOT NULL, params_fingerprint TEXT NOT NULL,
///   last_response_id INTEGER NOT NULL, PRIMARY KEY(set_name, stage))` — each stage has judged every response of the
///   set with `id <= last_response_id` under these parameters; the next run only examines newer rows. A different
///   fingerprint (or a stage left out of the configuration) replaces the stage's marks, hashes and signatures.
///
/// # Prompt identity (`v4PromptIdentity`)
///
/// - `job_key_aliases(key BLOB PRIMARY KEY, job_id → jobs)` `WITHOUT ROWID` — the key a job had before the
///   re-key, so a rescue file written by an older version (which names jobs by key) still finds its jobs.
///
/// `prompts.hash` becomes the canonical, length-prefixed ``PromptHash/hash(_:)`` (the old
/// `role NUL content NUL` digest collided for contents holding NUL), `jobs.key` is recomputed from it (same
/// formula, same teacher identity, parameters and sample index), and credentials (user-info, query) are removed
/// from `teachers.base_url` and from URL identities. The SQL sets the `meta` row `rekey_prompt_identity`;
/// ``PromptRekey`` does the data step in the same transaction and deletes the row. A re-run after the migration
/// sends nothing that was done.
/// # Verified answers (`v6Verification`)
///
/// - `set_members` gains `reference TEXT` (the reference answer, or a JSON Schema for verifier `json`) and
///   `verifier TEXT` (`math`|`choice`|`exact`|`regex`|`json`|`none`; NULL: the verify run's default).
/// - `verifications(set_name TEXT NOT NULL, response_id → responses, verdict TEXT NOT NULL
///   ('correct'|'wrong'|'unverifiable'|'no_answer'), extracted TEXT, rule TEXT, reason TEXT NOT NULL, verifier TEXT NOT
///   NULL, params_fingerprint TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY(set_name, response_id))` — the
///   verdict of each answer against the reference its prompt has in the set, with the extracted final answer and the
///   extraction rule. Index `(set_name, verdict)`. Progress is the `curation_progress` row of stage `verify`.
/// # Provider batches (`v7ProviderBatches`)
///
/// - `batches(id INTEGER PRIMARY KEY, sweep_id → sweeps, ref TEXT UNIQUE NOT NULL, wire TEXT NOT NULL, stage TEXT
///   NOT NULL ('prepared'|'uploaded'|'submitted'|'collected'), provider_status TEXT, input_file_id TEXT,
///   provider_batch_id TEXT, output_file_id TEXT, error_file_id TEXT, requests INTEGER NOT NULL, bytes INTEGER NOT
///   NULL, price_factor REAL NOT NULL, answered/errored/returned INTEGER NOT NULL DEFAULT 0, last_error TEXT,
///   created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL)` — one provider batch (one input file).
///   The row and its `batch_jobs` are written, and the jobs leased to owner `batch:<id>`, before the file is
///   uploaded (`prepared`); the file id is recorded before the batch is created (`uploaded`), the provider's batch id
///   right after (`submitted`). `ref` (random) goes into the file name and the batch metadata, so a batch created
///   by a process killed before it recorded the id is found again. `collected`: results stored, unanswered jobs
///   returned to pending. Index `(sweep_id, stage)`.
/// - `batch_jobs(batch_id → batches, job_id → jobs, custom_id TEXT NOT NULL, outcome TEXT ('answered'|'error'|
///   'returned'), PRIMARY KEY(batch_id, job_id))` — the lines of a batch; `custom_id` is the hex job key. `outcome`
///   is set in the transaction that stores the line's answer or error, so a collection is never applied twice.
///   Unique index `(batch_id, custom_id)`, index `(job_id)`.
///
/// # Daemon batches (`v8DaemonBatches`)
///
/// - `sweep_runs.via TEXT NOT NULL DEFAULT 'requests' ('requests'|'batch')` — how `harvest serve` sends a queued run:
///   one request per job (claimed by the teacher's worker), or through the teacher's batch API (never claimed;
///   the daemon's batch service packs, submits, polls and collects).
/// - `batches.next_poll_at REAL`, `batches.poll_interval REAL` — when the daemon asks the provider next and the
///   interval it grew to (×1.5 while nothing changes), so the backoff survives restarts.
/// - `batches.worst_cost REAL` — the file's worst-case cost at the batch price (prompt estimate + `max_tokens` per
///   line), reserved against the run's budget while the batch is open; NULL when unpriced.
///
/// # Lean verdicts (`v9VerificationsLean`)
///
/// - `verifications` is rebuilt with the same columns and rows but without the foreign key on `response_id` and
///   without the index `(set_name, verdict)`: the `verify` stage writes one row per answer, and each row paid a lookup
///   in `responses` (large rows, so mostly a page read) and a second B-tree insert. Responses are never deleted and
///   a verdict is written only for a response id just read, so the key checked nothing; the queries by verdict scan
///   the set's rows through the primary key (`set_name, response_id`) anyway.
///
/// # Verdicts are the verify marks (`v10VerdictsAsMarks`)
///
/// - `verifications` is rebuilt as `(response_id INTEGER NOT NULL, set_id INTEGER NOT NULL (prompt_sets.id), verdict
///   TEXT NOT NULL ('correct'|'wrong'|'unverifiable'|'no_answer'), extracted TEXT, rule TEXT, reason TEXT NOT NULL,
///   verifier TEXT NOT NULL, run_id INTEGER (curation_runs.id, NULL for rows judged before this version), created_at
///   REAL NOT NULL, PRIMARY KEY(response_id, set_id))` `WITHOUT ROWID`, no foreign keys, no other index. The set is
///   its id instead of its name, and the per-row parameter fingerprint is gone: every verdict of a set was written
///   under the fingerprint of the set's `curation_progress` row of stage `verify` (another fingerprint replaces them
///   all), so readers take it from there.
/// - A `wrong` or `no_answer` verdict **is** the response's mark of stage `verify`: the stage no longer writes
///   `curation_marks` rows (each cost a second row with a JSON `detail`, two foreign-key lookups and an index entry;
///   together more than half of the stage's writing). Every reader of marks (export filters, `curate` dedup and
///   counts, `stats`, `inspect`) reads both; the key starts with `response_id` so "is this response marked" is one
///   seek. The migration copies every verdict (with the run id of its old mark, when it had one) and deletes the
///   `verify` rows of `curation_marks`.
public enum Migrations {
    /// The migrations, oldest first. Append only.
    public static let all: [String] = [v1, v2DaemonQueueAndSpend, v3Curation, v4PromptIdentity, v5LogprobVocabulary, v6Verification, v7ProviderBatches,
                                          v8DaemonBatches, v9VerificationsLean, v10VerdictsAsMarks]

    /// The schema version this code writes: `all.count`.
    public static var latestVersion: Int { all.count }

    static let v1 = """
        CREATE TABLE meta(
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        CREATE TABLE prompt_sets(
          id INTEGER PRIMARY KEY,
          name TEXT UNIQUE NOT NULL,
          created_at REAL NOT NULL
        );
        CREATE TABLE prompts(
          id INTEGER PRIMARY KEY,
          hash BLOB UNIQUE NOT NULL CHECK(length(hash) = 32),
          messages TEXT NOT NULL,
          created_at REAL NOT NULL
        );
        CREATE TABLE set_members(
          set_id INTEGER NOT NULL REFERENCES prompt_sets(id),
          external_id TEXT NOT NULL,
          prompt_id INTEGER NOT NULL REFERENCES prompts(id),
          metadata TEXT,
          source TEXT,
          line INTEGER,
          PRIMARY KEY(set_id, external_id)
        ) WITHOUT ROWID;
        CREATE INDEX set_members_prompt ON set_members(set_id, prompt_id, external_id);
        CREATE TABLE teachers(
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          base_url TEXT NOT NULL,
          model TEXT NOT NULL,
          kind TEXT NOT NULL CHECK(kind IN ('chat', 'completions')),
          api_key_env TEXT,
          UNIQUE(name, model, kind)
        );
        CREATE TABLE param_sets(
          id INTEGER PRIMARY KEY,
          canonical TEXT UNIQUE NOT NULL
        );
        CREATE TABLE sweeps(
          id INTEGER PRIMARY KEY,
          name TEXT UNIQUE NOT NULL,
          set_id INTEGER NOT NULL REFERENCES prompt_sets(id),
          teacher_id INTEGER NOT NULL REFERENCES teachers(id),
          param_set_id INTEGER NOT NULL REFERENCES param_sets(id),
          samples INTEGER NOT NULL CHECK(samples >= 1),
          created_at REAL NOT NULL,
          status TEXT NOT NULL DEFAULT 'active'
        );
        CREATE TABLE jobs(
          id INTEGER PRIMARY KEY,
          key BLOB UNIQUE NOT NULL CHECK(length(key) = 32),
          prompt_id INTEGER NOT NULL REFERENCES prompts(id),
          teacher_id INTEGER NOT NULL REFERENCES teachers(id),
          param_set_id INTEGER NOT NULL REFERENCES param_sets(id),
          sample_index INTEGER NOT NULL CHECK(sample_index >= 0),
          state TEXT NOT NULL DEFAULT 'pending' CHECK(state IN ('pending', 'leased', 'done', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          lease_owner TEXT,
          lease_expires REAL,
          last_error TEXT,
          created_at REAL NOT NULL,
          updated_at REAL NOT NULL,
          CHECK((state = 'leased') = (lease_expires IS NOT NULL AND lease_owner IS NOT NULL)),
          CHECK(state = 'leased' OR (lease_expires IS NULL AND lease_owner IS NULL))
        );
        CREATE INDEX jobs_state_lease ON jobs(state, lease_expires);
        CREATE TABLE sweep_jobs(
          sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
          job_id INTEGER NOT NULL REFERENCES jobs(id),
          PRIMARY KEY(sweep_id, job_id)
        ) WITHOUT ROWID;
        CREATE INDEX sweep_jobs_job ON sweep_jobs(job_id);
        CREATE TABLE attempts(
          id INTEGER PRIMARY KEY,
          job_id INTEGER NOT NULL REFERENCES jobs(id),
          started_at REAL NOT NULL,
          latency_ms REAL NOT NULL,
          http_status INTEGER,
          outcome TEXT NOT NULL CHECK(outcome IN ('success', 'retry', 'fatal', 'cancelled')),
          error TEXT
        );
        CREATE INDEX attempts_job ON attempts(job_id);
        CREATE TABLE responses(
          id INTEGER PRIMARY KEY,
          job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),
          attempt_id INTEGER NOT NULL REFERENCES attempts(id),
          choice_index INTEGER NOT NULL,
          content TEXT NOT NULL,
          reasoning TEXT,
          finish_reason TEXT,
          prompt_tokens INTEGER,
          completion_tokens INTEGER,
          total_tokens INTEGER,
          reasoning_tokens INTEGER,
          model TEXT,
          response_id TEXT,
          system_fingerprint TEXT,
          received_at REAL NOT NULL,
          logprobs BLOB,
          raw BLOB
        );
        """

    /// Version 2: prices and per-attempt cost; queued sweep runs for `harvest serve`.
    static let v2DaemonQueueAndSpend = """
        ALTER TABLE teachers ADD COLUMN input_per_million REAL;
        ALTER TABLE teachers ADD COLUMN output_per_million REAL;
        ALTER TABLE attempts ADD COLUMN cost REAL;
        CREATE TABLE sweep_runs(
          id INTEGER PRIMARY KEY,
          sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
          state TEXT NOT NULL DEFAULT 'active' CHECK(state IN ('active', 'done', 'budget')),
          budget REAL CHECK(budget IS NULL OR budget >= 0),
          spent REAL NOT NULL DEFAULT 0,
          answers INTEGER NOT NULL DEFAULT 0,
          requested_by TEXT,
          created_at REAL NOT NULL,
          finished_at REAL
        );
        CREATE INDEX sweep_runs_sweep ON sweep_runs(sweep_id, id);
        CREATE UNIQUE INDEX sweep_runs_one_active ON sweep_runs(sweep_id) WHERE state = 'active';
        CREATE TABLE run_jobs(
          run_id INTEGER NOT NULL REFERENCES sweep_runs(id),
          job_id INTEGER NOT NULL REFERENCES jobs(id),
          PRIMARY KEY(run_id, job_id)
        ) WITHOUT ROWID;
        CREATE INDEX run_jobs_job ON run_jobs(job_id, run_id);
        """

    /// Version 3: curation runs, marks, dedup state and per-stage progress.
    static let v3Curation = """
        CREATE TABLE curation_runs(
          id INTEGER PRIMARY KEY,
          set_name TEXT NOT NULL,
          config TEXT NOT NULL,
          started_at REAL NOT NULL,
          finished_at REAL,
          counts TEXT
        );
        CREATE TABLE curation_marks(
          response_id INTEGER NOT NULL REFERENCES responses(id),
          stage TEXT NOT NULL,
          reason TEXT NOT NULL,
          detail TEXT NOT NULL,
          params_fingerprint TEXT NOT NULL,
          run_id INTEGER NOT NULL REFERENCES curation_runs(id),
          created_at REAL NOT NULL,
          PRIMARY KEY(response_id, stage)
        ) WITHOUT ROWID;
        CREATE INDEX curation_marks_stage ON curation_marks(stage, run_id);
        CREATE TABLE curation_hashes(
          set_name TEXT NOT NULL,
          target TEXT NOT NULL CHECK(target IN ('prompt', 'response')),
          hash BLOB NOT NULL,
          owner_id INTEGER NOT NULL,
          params_fingerprint TEXT NOT NULL,
          PRIMARY KEY(set_name, target, hash, params_fingerprint)
        ) WITHOUT ROWID;
        CREATE TABLE curation_signatures(
          set_name TEXT NOT NULL,
          target TEXT NOT NULL CHECK(target IN ('prompt', 'response')),
          owner_id INTEGER NOT NULL,
          params_fingerprint TEXT NOT NULL,
          signature BLOB NOT NULL,
          PRIMARY KEY(set_name, target, owner_id, params_fingerprint)
        ) WITHOUT ROWID;
        CREATE TABLE curation_progress(
          set_name TEXT NOT NULL,
          stage TEXT NOT NULL,
          params_fingerprint TEXT NOT NULL,
          last_response_id INTEGER NOT NULL,
          PRIMARY KEY(set_name, stage)
        ) WITHOUT ROWID;
        """

    /// Prompt identity: re-key prompts and jobs with the canonical prompt hash, strip URL credentials (data step:
    /// ``PromptRekey``, run by ``migrate(_:createdBy:now:)`` in the same transaction).
    static let v4PromptIdentity = """
        CREATE TABLE job_key_aliases(
          key BLOB PRIMARY KEY CHECK(length(key) = 32),
          job_id INTEGER NOT NULL REFERENCES jobs(id)
        ) WITHOUT ROWID;
        INSERT INTO meta(key, value) VALUES('rekey_prompt_identity', 'pending')
        ON CONFLICT(key) DO UPDATE SET value = excluded.value;
        """

    /// Logprob vocabulary: each teacher's distinct logprob entries (token text, `bytes`, token id) stored once;
    /// `responses.logprobs` written from now on are `HLP2` blobs referring to them by `idx` (0, 1, 2, … per
    /// teacher). Older `HLP1` blobs stay as they are and stay readable (docs/FORMATS.md).
    static let v5LogprobVocabulary = """
        CREATE TABLE logprob_vocab(
          teacher_id INTEGER NOT NULL REFERENCES teachers(id),
          idx INTEGER NOT NULL,
          entry BLOB NOT NULL,
          PRIMARY KEY(teacher_id, idx)
        ) WITHOUT ROWID;
        """

    /// Reference answers on set members, and verdicts of the `verify` stage.
    static let v6Verification = """
        ALTER TABLE set_members ADD COLUMN reference TEXT;
        ALTER TABLE set_members ADD COLUMN verifier TEXT;
        CREATE TABLE verifications(
          set_name TEXT NOT NULL,
          response_id INTEGER NOT NULL REFERENCES responses(id),
          verdict TEXT NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
          extracted TEXT,
          rule TEXT,
          reason TEXT NOT NULL,
          verifier TEXT NOT NULL,
          params_fingerprint TEXT NOT NULL,
          created_at REAL NOT NULL,
          PRIMARY KEY(set_name, response_id)
        ) WITHOUT ROWID;
        CREATE INDEX verifications_verdict ON verifications(set_name, verdict);
        """

    /// Provider batches (`/v1/batches`) and their lines.
    static let v7ProviderBatches = """
        CREATE TABLE batches(
          id INTEGER PRIMARY KEY,
          sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
          ref TEXT UNIQUE NOT NULL,
          wire TEXT NOT NULL DEFAULT 'openai',
          stage TEXT NOT NULL CHECK(stage IN ('prepared', 'uploaded', 'submitted', 'collected')),
          provider_status TEXT,
          input_file_id TEXT,
          provider_batch_id TEXT,
          output_file_id TEXT,
          error_file_id TEXT,
          requests INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          price_factor REAL NOT NULL,
          answered INTEGER NOT NULL DEFAULT 0,
          errored INTEGER NOT NULL DEFAULT 0,
          returned INTEGER NOT NULL DEFAULT 0,
          last_error TEXT,
          created_at REAL NOT NULL,
          updated_at REAL NOT NULL,
          finished_at REAL
        );
        CREATE INDEX batches_sweep_stage ON batches(sweep_id, stage);
        CREATE TABLE batch_jobs(
          batch_id INTEGER NOT NULL REFERENCES batches(id),
          job_id INTEGER NOT NULL REFERENCES jobs(id),
          custom_id TEXT NOT NULL,
          outcome TEXT CHECK(outcome IS NULL OR outcome IN ('answered', 'error', 'returned')),
          PRIMARY KEY(batch_id, job_id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX batch_jobs_custom ON batch_jobs(batch_id, custom_id);
        CREATE INDEX batch_jobs_job ON batch_jobs(job_id);
        """

    /// Batch runs of `harvest serve`: how a queued run is sent, and each batch's persisted poll schedule.
    static let v8DaemonBatches = """
        ALTER TABLE sweep_runs ADD COLUMN via TEXT NOT NULL DEFAULT 'requests' CHECK(via IN ('requests', 'batch'));
        ALTER TABLE batches ADD COLUMN next_poll_at REAL;
        ALTER TABLE batches ADD COLUMN poll_interval REAL;
        ALTER TABLE batches ADD COLUMN worst_cost REAL;
        """

    /// `verifications` without the foreign key on `response_id` and without the `(set_name, verdict)` index (the
    /// `verify` stage writes a row per answer; see the type's documentation).
    static let v9VerificationsLean = """
        CREATE TABLE verifications_lean(
          set_name TEXT NOT NULL,
          response_id INTEGER NOT NULL,
          verdict TEXT NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
          extracted TEXT,
          rule TEXT,
          reason TEXT NOT NULL,
          verifier TEXT NOT NULL,
          params_fingerprint TEXT NOT NULL,
          created_at REAL NOT NULL,
          PRIMARY KEY(set_name, response_id)
        ) WITHOUT ROWID;
        INSERT INTO verifications_lean SELECT set_name, response_id, verdict, extracted, rule, reason, verifier, params_fingerprint,
          created_at FROM verifications;
        DROP TABLE verifications;
        ALTER TABLE verifications_lean RENAME TO verifications;
        """

    /// `verifications` keyed by (response, set id) without the per-row fingerprint, and the `verify` marks folded
    /// into it (see the type's documentation).
    static let v10VerdictsAsMarks = """
        CREATE TABLE verifications_marks(
          response_id INTEGER NOT NULL,
          set_id INTEGER NOT NULL,
          verdict TEXT NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
          extracted TEXT,
          rule TEXT,
          reason TEXT NOT NULL,
          verifier TEXT NOT NULL,
          run_id INTEGER,
          created_at REAL NOT NULL,
          PRIMARY KEY(response_id, set_id)
        ) WITHOUT ROWID;
        INSERT INTO verifications_marks SELECT v.response_id, s.id, v.verdict, v.extracted, v.rule, v.reason, v.verifier,
          (SELECT cm.run_id FROM curation_marks cm WHERE cm.response_id = v.response_id AND cm.stage = 'verify'), v.created_at
          FROM verifications v JOIN prompt_sets s ON s.name = v.set_name;
        DELETE FROM curation_marks WHERE stage = 'verify';
        DROP TABLE verifications;
        ALTER TABLE verifications_marks RENAME TO verifications;
        """

    /// The schema version of `db` (`PRAGMA user_version`).
    static func version(of db: SQLiteDatabase) throws -> Int {
        try db.queryOne("PRAGMA user_version") { $0.int(0) } ?? 0
    }

    /// Brings `db` to ``latestVersion``. Throws ``StoreError/schemaTooNew(path:found:supported:)`` for a newer
    /// file and ``StoreError/corrupt(path:detail:)`` for a non-empty file that is not a harvest database.
    static func migrate(_ db: SQLiteDatabase, createdBy: String, now: Double) throws {
        let found = try version(of: db)
        if found > latestVersion {
            throw StoreError.schemaTooNew(path: db.path, found: found, supported: latestVersion)
        }
        if found == latestVersion { return }
        try db.transaction(.immediate) {
            // Re-read under the write lock: another process may have migrated meanwhile.
            let current = try version(of: db)
            if current > latestVersion {
                throw StoreError.schemaTooNew(path: db.path, found: current, supported: latestVersion)
            }
            if current == latestVersion { return }
            if current == 0 {
                let tables = try db.queryOne("SELECT count(*) FROM sqlite_schema") { $0.int(0) } ?? 0
                if tables > 0 {
                    throw StoreError.corrupt(path: db.path, detail: "the file holds \(tables) schema objects but no harvest schema version")
                }
            }
            for migration in all[current...] { try db.execute(migration) }
            try PromptRekey.runIfPending(db)
            let setMeta = "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            if current == 0 {
                try db.with(setMeta) { s in try s.bind("created_by", at: 1); try s.bind(createdBy, at: 2); try s.run() }
                try db.with(setMeta) { s in try s.bind("created_at", at: 1); try s.bind(String(now), at: 2); try s.run() }
            }
            try db.with(setMeta) { s in try s.bind("schema_version", at: 1); try s.bind(String(latestVersion), at: 2); try s.run() }
            try db.execute("PRAGMA user_version = \(latestVersion)")
        }
    }
}
