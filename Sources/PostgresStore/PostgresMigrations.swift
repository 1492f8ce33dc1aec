import Foundation
import SQLiteStore

/// The PostgreSQL schema as an append-only list of migrations, applied in order under a session advisory lock
/// (``lockKey``) so that several daemons starting at once apply each migration exactly once. Each migration runs in
/// its own transaction together with the `meta` row `schema_version`. Never edit a released migration: append one.
///
/// # Version 1: the job path
///
/// The tables of SQLite's schema that the job path uses, with the same columns and meanings (docs/FORMATS.md): times
/// are Unix seconds (`double precision`), keys and hashes `bytea`, logprobs the `HLP2` blob against the teacher's
/// `logprob_vocab`. Differences: ids are `bigserial`; `jobs.lease_token` holds the fencing token of the job's latest
/// claim (from sequence `lease_tokens`, unique per claim), and a lease ends (release, renewal, final failure) only
/// under the token that took it; `logprob_vocab` has `UNIQUE(teacher_id, entry)` and its `idx` comes from sequence
/// `logprob_vocab_idx` (unique per teacher, not dense), so many daemons append without a lock. Index
/// `jobs_open` (ids of pending and leased jobs) serves claims. Curation, verification and provider batch tables came
/// with version 3.
///
/// # Version 2: cheaper TOAST compression of answers
///
/// `responses.logprobs`, `responses.raw` and `responses.content` are compressed with LZ4 instead of pglz when the
/// server supports it (PostgreSQL 14 or later built with LZ4; otherwise they keep pglz): a 128 × top-5 `HLP2` blob (~4.6 KB)
/// is over the 2 KB TOAST threshold, and pglz spent a fifth of the server's CPU per stored answer. Affects rows
/// written from then on; stored rows stay readable as they are.
///
/// # Version 3: schema parity with SQLite (schema version 9)
///
/// The tables SQLite has and version 1 left out, with the same names, columns, constraints and the indexes readers
/// rely on (docs/FORMATS.md has their meaning): `curation_runs`, `curation_marks`, `curation_hashes`,
/// `curation_signatures`, `curation_progress` (curation), `verifications` (in its lean shape of SQLite's v9: no
/// foreign key on `response_id`, no `(set_name, verdict)` index), `batches` (with SQLite's v8 columns
/// `next_poll_at`, `poll_interval`, `worst_cost`) and `batch_jobs` (provider batches), `job_key_aliases` (the keys
/// jobs had before SQLite's prompt re-key, so a database copied from SQLite keeps resolving old rescue files). Also
/// SQLite's index `sweep_runs_sweep` and its CHECKs on `jobs.sample_index` and `sweep_runs.budget`. Intended
/// differences that stay are listed in the schema parity test (Tests/PostgresStoreTests/SchemaParityTests.swift).
///
/// # Version 4 (fleet): run notifications and shared limits (many daemons)
///
/// A trigger on `sweep_runs` sends `NOTIFY harvest_runs, '<run id>'` when a run is queued or becomes active again
/// (delivered at commit), so idle daemons listening there wake at once (``PostgresStore/runsChannel``). Table
/// `fleet_members(teacher, owner, heartbeat_at)` holds one heartbeat row per daemon and teacher it serves; the live
/// rows divide each teacher's limits among the daemons (``PostgresStore/heartbeat(owner:teachers:ttlSeconds:)``).
///
/// # Version 5 (verdictsAsMarks): verdicts are the verify marks (SQLite's `v10VerdictsAsMarks`)
///
/// `verifications` is rebuilt as `(response_id, set_id (prompt_sets.id), verdict, extracted, rule, reason, verifier,
/// run_id (curation_runs.id, NULL for verdicts judged before), created_at, PRIMARY KEY(response_id, set_id))`, no
/// foreign keys: the set is its id, and the per-row fingerprint is gone (readers take the set's `verify` progress
/// fingerprint). A `wrong` or `no_answer` verdict **is** the response's mark of stage `verify`: every mark reader reads
/// both. The migration copies every verdict (with the run id of its old `verify` mark, when it had one) and deletes
/// the `verify` rows of `curation_marks`, as SQLite's does.
public enum PostgresMigrations {
    /// Key of the session advisory lock held while migrations are checked and applied.
    public static let lockKey: Int64 = 0x6861_7276_6573_7401

    /// The migrations, oldest first. Append only.
    public static let all: [String] = [v1, v2, v3SchemaParity, fleet, verdictsAsMarks]

    /// The schema version this code writes.
    public static var latestVersion: Int { all.count }

    static let v1 = """
        CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE prompt_sets(id bigserial PRIMARY KEY, name text UNIQUE NOT NULL, created_at double precision NOT NULL);
        CREATE TABLE prompts(
          id bigserial PRIMARY KEY,
          hash bytea UNIQUE NOT NULL CHECK(length(hash) = 32),
          messages text NOT NULL,
          created_at double precision NOT NULL
        );
        CREATE TABLE set_members(
          set_id bigint NOT NULL REFERENCES prompt_sets(id),
          external_id text NOT NULL,
          prompt_id bigint NOT NULL REFERENCES prompts(id),
          metadata text,
          source text,
          line bigint,
          reference text,
          verifier text,
          PRIMARY KEY(set_id, external_id)
        );
        CREATE INDEX set_members_prompt ON set_members(set_id, prompt_id, external_id);
        CREATE TABLE teachers(
          id bigserial PRIMARY KEY,
          name text NOT NULL,
          base_url text NOT NULL,
          model text NOT NULL,
          kind text NOT NULL CHECK(kind IN ('chat', 'completions')),
          api_key_env text,
          input_per_million double precision,
          output_per_million double precision,
          UNIQUE(name, model, kind)
        );
        CREATE TABLE param_sets(id bigserial PRIMARY KEY, canonical text UNIQUE NOT NULL);
        CREATE TABLE sweeps(
          id bigserial PRIMARY KEY,
          name text UNIQUE NOT NULL,
          set_id bigint NOT NULL REFERENCES prompt_sets(id),
          teacher_id bigint NOT NULL REFERENCES teachers(id),
          param_set_id bigint NOT NULL REFERENCES param_sets(id),
          samples integer NOT NULL CHECK(samples >= 1),
          created_at double precision NOT NULL,
          status text NOT NULL DEFAULT 'active'
        );
        CREATE SEQUENCE lease_tokens;
        CREATE TABLE jobs(
          id bigserial PRIMARY KEY,
          key bytea UNIQUE NOT NULL CHECK(length(key) = 32),
          prompt_id bigint NOT NULL REFERENCES prompts(id),
          teacher_id bigint NOT NULL REFERENCES teachers(id),
          param_set_id bigint NOT NULL REFERENCES param_sets(id),
          sample_index integer NOT NULL,
          state text NOT NULL CHECK(state IN ('pending', 'leased', 'done', 'failed')),
          attempts integer NOT NULL DEFAULT 0,
          lease_owner text,
          lease_expires double precision,
          lease_token bigint,
          last_error text,
          created_at double precision NOT NULL,
          updated_at double precision NOT NULL,
          CHECK((state = 'leased') = (lease_owner IS NOT NULL AND lease_expires IS NOT NULL AND lease_token IS NOT NULL))
        );
        CREATE INDEX jobs_open ON jobs(id) WHERE state IN ('pending', 'leased');
        CREATE TABLE sweep_jobs(
          sweep_id bigint NOT NULL REFERENCES sweeps(id),
          job_id bigint NOT NULL REFERENCES jobs(id),
          PRIMARY KEY(sweep_id, job_id)
        );
        CREATE INDEX sweep_jobs_job ON sweep_jobs(job_id);
        CREATE TABLE attempts(
          id bigserial PRIMARY KEY,
          job_id bigint NOT NULL REFERENCES jobs(id),
          started_at double precision NOT NULL,
          latency_ms double precision NOT NULL,
          http_status integer,
          outcome text NOT NULL CHECK(outcome IN ('success', 'retry', 'fatal', 'cancelled')),
          error text,
          cost double precision
        );
        CREATE INDEX attempts_job ON attempts(job_id);
        CREATE TABLE responses(
          id bigserial PRIMARY KEY,
          job_id bigint UNIQUE NOT NULL REFERENCES jobs(id),
          attempt_id bigint NOT NULL REFERENCES attempts(id),
          choice_index integer NOT NULL,
          content text NOT NULL,
          reasoning text,
          finish_reason text,
          prompt_tokens integer,
          completion_tokens integer,
          total_tokens integer,
          reasoning_tokens integer,
          model text,
          response_id text,
          system_fingerprint text,
          received_at double precision NOT NULL,
          logprobs bytea,
          raw bytea
        );
        CREATE TABLE sweep_runs(
          id bigserial PRIMARY KEY,
          sweep_id bigint NOT NULL REFERENCES sweeps(id),
          state text NOT NULL CHECK(state IN ('active', 'done', 'budget')),
          budget double precision,
          spent double precision NOT NULL DEFAULT 0,
          answers integer NOT NULL DEFAULT 0,
          requested_by text,
          via text NOT NULL DEFAULT 'requests' CHECK(via IN ('requests', 'batch')),
          created_at double precision NOT NULL,
          finished_at double precision
        );
        CREATE UNIQUE INDEX sweep_runs_one_active ON sweep_runs(sweep_id) WHERE state = 'active';
        CREATE TABLE run_jobs(
          run_id bigint NOT NULL REFERENCES sweep_runs(id),
          job_id bigint NOT NULL REFERENCES jobs(id),
          PRIMARY KEY(run_id, job_id)
        );
        CREATE INDEX run_jobs_job ON run_jobs(job_id, run_id);
        CREATE SEQUENCE logprob_vocab_idx MINVALUE 0 START 0;
        CREATE TABLE logprob_vocab(
          teacher_id bigint NOT NULL REFERENCES teachers(id),
          idx bigint NOT NULL,
          entry bytea NOT NULL,
          PRIMARY KEY(teacher_id, idx),
          UNIQUE(teacher_id, entry)
        );
        """

    static let v2 = """
        DO $$
        BEGIN
          ALTER TABLE responses ALTER COLUMN logprobs SET COMPRESSION lz4,
                                ALTER COLUMN raw SET COMPRESSION lz4,
                                ALTER COLUMN content SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported OR syntax_error THEN
          NULL;
        END
        $$;
        """

    /// Version 3: every table of SQLite's schema (version 9) that version 1 left out; see the type's documentation.
    static let v3SchemaParity = """
        CREATE TABLE curation_runs(
          id bigserial PRIMARY KEY,
          set_name text NOT NULL,
          config text NOT NULL,
          started_at double precision NOT NULL,
          finished_at double precision,
          counts text
        );
        CREATE TABLE curation_marks(
          response_id bigint NOT NULL REFERENCES responses(id),
          stage text NOT NULL,
          reason text NOT NULL,
          detail text NOT NULL,
          params_fingerprint text NOT NULL,
          run_id bigint NOT NULL REFERENCES curation_runs(id),
          created_at double precision NOT NULL,
          PRIMARY KEY(response_id, stage)
        );
        CREATE INDEX curation_marks_stage ON curation_marks(stage, run_id);
        CREATE TABLE curation_hashes(
          set_name text NOT NULL,
          target text NOT NULL CHECK(target IN ('prompt', 'response')),
          hash bytea NOT NULL,
          owner_id bigint NOT NULL,
          params_fingerprint text NOT NULL,
          PRIMARY KEY(set_name, target, hash, params_fingerprint)
        );
        CREATE TABLE curation_signatures(
          set_name text NOT NULL,
          target text NOT NULL CHECK(target IN ('prompt', 'response')),
          owner_id bigint NOT NULL,
          params_fingerprint text NOT NULL,
          signature bytea NOT NULL,
          PRIMARY KEY(set_name, target, owner_id, params_fingerprint)
        );
        CREATE TABLE curation_progress(
          set_name text NOT NULL,
          stage text NOT NULL,
          params_fingerprint text NOT NULL,
          last_response_id bigint NOT NULL,
          PRIMARY KEY(set_name, stage)
        );
        CREATE TABLE job_key_aliases(
          key bytea PRIMARY KEY CHECK(length(key) = 32),
          job_id bigint NOT NULL REFERENCES jobs(id)
        );
        CREATE TABLE verifications(
          set_name text NOT NULL,
          response_id bigint NOT NULL,
          verdict text NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
          extracted text,
          rule text,
          reason text NOT NULL,
          verifier text NOT NULL,
          params_fingerprint text NOT NULL,
          created_at double precision NOT NULL,
          PRIMARY KEY(set_name, response_id)
        );
        CREATE TABLE batches(
          id bigserial PRIMARY KEY,
          sweep_id bigint NOT NULL REFERENCES sweeps(id),
          ref text UNIQUE NOT NULL,
          wire text NOT NULL DEFAULT 'openai',
          stage text NOT NULL CHECK(stage IN ('prepared', 'uploaded', 'submitted', 'collected')),
          provider_status text,
          input_file_id text,
          provider_batch_id text,
          output_file_id text,
          error_file_id text,
          requests bigint NOT NULL,
          bytes bigint NOT NULL,
          price_factor double precision NOT NULL,
          answered bigint NOT NULL DEFAULT 0,
          errored bigint NOT NULL DEFAULT 0,
          returned bigint NOT NULL DEFAULT 0,
          last_error text,
          created_at double precision NOT NULL,
          updated_at double precision NOT NULL,
          finished_at double precision,
          next_poll_at double precision,
          poll_interval double precision,
          worst_cost double precision
        );
        CREATE INDEX batches_sweep_stage ON batches(sweep_id, stage);
        CREATE TABLE batch_jobs(
          batch_id bigint NOT NULL REFERENCES batches(id),
          job_id bigint NOT NULL REFERENCES jobs(id),
          custom_id text NOT NULL,
          outcome text CHECK(outcome IS NULL OR outcome IN ('answered', 'error', 'returned')),
          PRIMARY KEY(batch_id, job_id)
        );
        CREATE UNIQUE INDEX batch_jobs_custom ON batch_jobs(batch_id, custom_id);
        CREATE INDEX batch_jobs_job ON batch_jobs(job_id);
        CREATE INDEX sweep_runs_sweep ON sweep_runs(sweep_id, id);
        ALTER TABLE jobs ADD CONSTRAINT jobs_sample_index_check CHECK(sample_index >= 0);
        ALTER TABLE sweep_runs ADD CONSTRAINT sweep_runs_budget_check CHECK(budget IS NULL OR budget >= 0);
        """

    /// Version 4 (fleet): run notifications and the heartbeat table; see the type's documentation.
    static let fleet = """
        CREATE FUNCTION harvest_notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('harvest_runs', NEW.id::text);
          RETURN NEW;
        END
        $$;
        CREATE TRIGGER sweep_runs_notify AFTER INSERT OR UPDATE OF state ON sweep_runs
          FOR EACH ROW WHEN (NEW.state = 'active') EXECUTE FUNCTION harvest_notify_run();
        CREATE TABLE fleet_members(
          teacher text NOT NULL,
          owner text NOT NULL,
          heartbeat_at double precision NOT NULL,
          PRIMARY KEY(teacher, owner)
        );
        """

    /// Version 5 (verdictsAsMarks): verdicts keyed by response and set id, and the verify marks; see the type's
    /// documentation.
    static let verdictsAsMarks = """
        CREATE TABLE verifications_marks(
          response_id bigint NOT NULL,
          set_id bigint NOT NULL,
          verdict text NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
          extracted text,
          rule text,
          reason text NOT NULL,
          verifier text NOT NULL,
          run_id bigint,
          created_at double precision NOT NULL,
          CONSTRAINT verifications_marks_pkey PRIMARY KEY(response_id, set_id)
        );
        INSERT INTO verifications_marks SELECT v.response_id, s.id, v.verdict, v.extracted, v.rule, v.reason, v.verifier,
          (SELECT cm.run_id FROM curation_marks cm WHERE cm.response_id = v.response_id AND cm.stage = 'verify'), v.created_at
          FROM verifications v JOIN prompt_sets s ON s.name = v.set_name;
        DELETE FROM curation_marks WHERE stage = 'verify';
        DROP TABLE verifications;
        ALTER TABLE verifications_marks RENAME TO verifications;
        ALTER TABLE verifications RENAME CONSTRAINT verifications_marks_pkey TO verifications_pkey;
        """

    /// Brings the database to ``latestVersion`` under the advisory lock; returns the version found before.
    /// A database written by a newer harvest is refused (nothing is changed).
    static func apply(_ c: PostgresConnection) throws -> Int {
        try c.execute("SELECT pg_advisory_lock($1)", [.int(lockKey)])
        defer { _ = try? c.execute("SELECT pg_advisory_unlock($1)", [.int(lockKey)]) }
        let found = try version(c)
        guard found <= latestVersion else {
            throw StoreError.schemaTooNew(path: c.url.value, found: found, supported: latestVersion)
        }
        for v in found..<latestVersion {
            try c.transaction {
                try c.script(all[v])
                try c.execute("""
                    INSERT INTO meta(key, value) VALUES('schema_version', $1)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """, [.text(String(v + 1))])
                if v == 0 {
                    try c.execute("INSERT INTO meta(key, value) VALUES('created_by', 'harvest'), ('created_at', $1)",
                                  [.text(String(Int(Date().timeIntervalSince1970)))])
                }
            }
        }
        return found
    }

    /// The schema version of the connected database (0 when it has no harvest schema).
    static func version(_ c: PostgresConnection) throws -> Int {
        let meta = try c.execute("SELECT to_regclass('meta') IS NOT NULL")
        guard try meta.text(0, 0) == "t" else { return 0 }
        let row = try c.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        guard row.count == 1, let v = Int(try row.text(0, 0)) else { return 0 }
        return v
    }
}
