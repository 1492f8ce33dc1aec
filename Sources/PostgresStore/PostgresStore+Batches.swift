import HarvestCore
import HarvestStore
import SQLiteStore

/// Provider batches on PostgreSQL (``BatchStore``; the rules and the tables are SQLite's): a batch is recorded with
/// its lines and its jobs leased to `batch:<id>` in one transaction before anything is uploaded, then advanced stage
/// by stage. Recording locks the jobs' rows (`FOR UPDATE SKIP LOCKED`) and records nothing unless every job was
/// still pending and unlocked, so a job is a line of at most one open batch even when several processes record at
/// once; each batch lease gets a fencing token like a claim. Results and closing: PostgresStore+BatchResults; runs,
/// poll schedule and the per-sweep lock: PostgresStore+BatchRuns.
extension PostgresStore {
    /// Columns of `batches` in ``BatchRecord`` order.
    static let batchColumns = """
        id, sweep_id, ref, stage, provider_status, input_file_id, provider_batch_id, output_file_id, error_file_id, requests, bytes,
        price_factor, answered, errored, returned, last_error, created_at, next_poll_at, poll_interval, worst_cost, wire
        """

    /// Up to `limit` pending jobs of the sweep, lowest id first (read only; nothing is leased).
    public func pendingJobs(sweepId: Int64, limit: Int) async throws -> [Job] {
        try await batchJobRows(filter: """
            j.state = 'pending' AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = $1 AND sj.job_id = j.id)
            """, id: sweepId, limit: limit)
    }

    /// The jobs of batch `batchId` in id order: those without a result yet when `openOnly`, else all; at most `limit`.
    public func batchJobs(batchId: Int64, openOnly: Bool = true, limit: Int = Int(Int32.max)) async throws -> [Job] {
        let open = openOnly ? " AND outcome IS NULL" : ""
        return try await batchJobRows(filter: "j.id IN (SELECT job_id FROM batch_jobs WHERE batch_id = $1\(open))", id: batchId, limit: limit)
    }

    /// Every line of batch `batchId`: custom id → job id.
    public func batchLines(batchId: Int64) async throws -> [String: Int64] {
        try await pool.perform { c in
            let r = try c.execute("SELECT custom_id, job_id FROM batch_jobs WHERE batch_id = $1", [.int(batchId)])
            var out: [String: Int64] = [:]
            for i in 0..<r.count { out[try r.text(i, 0)] = try r.int64(i, 1) }
            return out
        }
    }

    /// Records a new batch (stage `prepared`) with one line per job and leases the jobs to it (owner `batch:<id>`, a
    /// fencing token each, ``SQLiteStore/batchLeaseSeconds`` by the server's clock), in one transaction. Throws
    /// ``StoreError/invalidInput(_:)`` and records nothing when a job is no longer pending or another process holds
    /// its row at that moment (a claim, another batch being recorded).
    public func recordBatch(sweepId: Int64, ref: String, lines: [(jobId: Int64, customId: String)], bytes: Int, priceFactor: Double,
                            worstCost: Double? = nil, wire: String = "openai") async throws -> BatchRecord {
        let jobIds = lines.map(\.jobId), customIds = lines.map(\.customId)
        guard Set(jobIds).count == jobIds.count else { throw StoreError.invalidInput("a batch lists a job twice; batch not recorded") }
        let now = Self.now
        let columns = Self.batchColumns
        return try await pool.transaction { c in
            let locked = try c.execute("""
                SELECT id FROM jobs WHERE id = ANY($1::bigint[]) AND state = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED
                """, [.intArray(jobIds)])
            guard locked.count == jobIds.count else {
                let got = Set(try (0..<locked.count).map { try locked.int64($0, 0) })
                let gone = jobIds.first { !got.contains($0) } ?? 0
                throw StoreError.invalidInput("job \(gone) is no longer pending (another process took it); batch not recorded")
            }
            let inserted = try c.execute("""
                INSERT INTO batches(sweep_id, ref, stage, requests, bytes, price_factor, created_at, updated_at, worst_cost, wire)
                VALUES($1, $2, 'prepared', $3, $4, $5, \(now), \(now), $6, $7) RETURNING \(columns)
                """, [.int(sweepId), .text(ref), .int(Int64(lines.count)), .int(Int64(bytes)), .double(priceFactor),
                      .nullableDouble(worstCost), .text(wire)])
            let record = try Self.batchRecord(inserted, 0)
            var customs = PostgresBinaryArray(.text)
            for id in customIds { customs.append(id) }
            try c.execute("""
                INSERT INTO batch_jobs(batch_id, job_id, custom_id) SELECT $1, l.job_id, l.custom_id
                FROM unnest($2::bigint[], $3::text[]) AS l(job_id, custom_id)
                """, [.int(record.id), .intArray(jobIds), .binaryArray(customs)])
            let leased = try c.execute("""
                UPDATE jobs SET state = 'leased', lease_owner = $2, lease_expires = \(now) + $3, lease_token = nextval('lease_tokens'),
                  updated_at = \(now)
                WHERE id = ANY($1::bigint[]) AND state = 'pending'
                """, [.intArray(jobIds), .text(record.leaseOwner), .double(SQLiteStore.batchLeaseSeconds)]).changed
            guard leased == jobIds.count else {
                throw StoreError.invalidInput("\(jobIds.count - leased) jobs of the batch are no longer pending; batch not recorded")
            }
            return record
        }
    }

    /// The batch `id`, or nil.
    public func batch(id: Int64) async throws -> BatchRecord? {
        try await batchRecords(where: "id = $1", [.int(id)]).first
    }

    /// Batches not yet collected: of sweep `sweepId`, or of every sweep when nil; oldest first.
    public func openBatches(sweepId: Int64? = nil) async throws -> [BatchRecord] {
        if let sweepId { return try await batchRecords(where: "sweep_id = $1 AND stage <> 'collected'", [.int(sweepId)]) }
        return try await batchRecords(where: "stage <> 'collected'", [])
    }

    /// Every batch of sweep `sweepId` (or of all sweeps), oldest first.
    public func batches(sweepId: Int64? = nil) async throws -> [BatchRecord] {
        if let sweepId { return try await batchRecords(where: "sweep_id = $1", [.int(sweepId)]) }
        return try await batchRecords(where: "true", [])
    }

    /// The teacher whose sweep batch `batchId` belongs to, or nil for an unknown batch.
    public func batchTeacher(batchId: Int64) async throws -> TeacherEndpoint? {
        try await pool.perform { c -> TeacherEndpoint? in
            let r = try c.execute("""
                SELECT t.base_url, t.model, t.kind, t.api_key_env, t.name FROM batches b JOIN sweeps s ON s.id = b.sweep_id
                JOIN teachers t ON t.id = s.teacher_id WHERE b.id = $1
                """, [.int(batchId)])
            guard r.count == 1 else { return nil }
            return TeacherEndpoint(baseURL: try r.text(0, 0), model: try r.text(0, 1), kind: EndpointKind(rawValue: try r.text(0, 2)) ?? .chat,
                                   apiKeyEnv: r.string(0, 3), name: try r.text(0, 4))
        }
    }

    /// Every provider batch id recorded.
    public func providerBatchIds() async throws -> Set<String> {
        try await pool.perform { c in
            let r = try c.execute("SELECT provider_batch_id FROM batches WHERE provider_batch_id IS NOT NULL")
            return Set(try (0..<r.count).map { try r.text($0, 0) })
        }
    }

    /// Records the uploaded input file (stage `uploaded`).
    public func markBatchUploaded(id: Int64, inputFileId: String) async throws {
        try await updateBatch(id, "stage = 'uploaded', input_file_id = $2", [.text(inputFileId)])
    }

    /// Records the provider's batch id and status (stage `submitted`) unless another id was recorded first; returns
    /// the id the batch has now (see ``BatchStore/markBatchSubmitted(id:providerBatchId:status:)``).
    @discardableResult
    public func markBatchSubmitted(id: Int64, providerBatchId: String, status: String) async throws -> String {
        let now = Self.now
        return try await pool.perform { c -> String in
            // Only the first id is kept: a second process's create (its lock lost while the call ran) must not replace a
            // batch the other one already recorded and polls.
            try c.execute("""
                UPDATE batches SET stage = 'submitted', provider_batch_id = $2, provider_status = $3, updated_at = \(now)
                WHERE id = $1 AND (provider_batch_id IS NULL OR provider_batch_id = $2)
                """, [.int(id), .text(providerBatchId), .text(status)])
            let r = try c.execute("SELECT provider_batch_id FROM batches WHERE id = $1", [.int(id)])
            return r.count == 1 ? (r.string(0, 0) ?? providerBatchId) : providerBatchId
        }
    }

    /// Records the provider's latest view of the batch (nil ids and error keep what was recorded).
    public func updateBatchStatus(id: Int64, status: String, outputFileId: String?, errorFileId: String?, lastError: String?) async throws {
        try await updateBatch(id, """
            provider_status = $2, output_file_id = coalesce($3, output_file_id), error_file_id = coalesce($4, error_file_id),
            last_error = coalesce($5, last_error)
            """, [.text(status), .nullableText(outputFileId), .nullableText(errorFileId), .nullableText(lastError)])
    }

    // MARK: - Rows

    private func updateBatch(_ id: Int64, _ assignments: String, _ values: [PostgresValue]) async throws {
        let now = Self.now
        try await pool.perform { c -> Void in
            try c.execute("UPDATE batches SET \(assignments), updated_at = \(now) WHERE id = $1", [.int(id)] + values)
        }
    }

    private func batchRecords(where clause: String, _ values: [PostgresValue]) async throws -> [BatchRecord] {
        let columns = Self.batchColumns
        return try await pool.perform { c in
            let r = try c.execute("SELECT \(columns) FROM batches WHERE \(clause) ORDER BY id", values)
            return try (0..<r.count).map { try Self.batchRecord(r, $0) }
        }
    }

    /// Row `i` of a result with ``batchColumns``.
    static func batchRecord(_ r: PostgresResult, _ i: Int) throws -> BatchRecord {
        BatchRecord(id: try r.int64(i, 0), sweepId: try r.int64(i, 1), ref: try r.text(i, 2),
                    stage: BatchStage(rawValue: try r.text(i, 3)) ?? .prepared, providerStatus: r.string(i, 4), inputFileId: r.string(i, 5),
                    providerBatchId: r.string(i, 6), outputFileId: r.string(i, 7), errorFileId: r.string(i, 8), requests: try r.int(i, 9),
                    bytes: try r.int(i, 10), priceFactor: try r.optionalDouble(i, 11) ?? 1, answered: try r.int(i, 12),
                    errored: try r.int(i, 13), returned: try r.int(i, 14), lastError: r.string(i, 15),
                    createdAt: try r.optionalDouble(i, 16) ?? 0, nextPollAt: try r.optionalDouble(i, 17),
                    pollInterval: try r.optionalDouble(i, 18), worstCost: try r.optionalDouble(i, 19), wire: try r.text(i, 20))
    }

    /// Jobs selected by `filter` (a condition on `j` with `$1` = `id`), with prompt, teacher and parameters, in id order.
    private func batchJobRows(filter: String, id: Int64, limit: Int) async throws -> [Job] {
        let rows = try await pool.perform { c -> [ClaimRow] in
            let r = try c.execute("""
                SELECT j.id, j.key, j.prompt_id, p.messages, t.base_url, t.model, t.kind, t.api_key_env, ps.canonical, j.sample_index,
                  j.attempts, t.name, t.id
                FROM jobs j JOIN prompts p ON p.id = j.prompt_id JOIN teachers t ON t.id = j.teacher_id
                JOIN param_sets ps ON ps.id = j.param_set_id WHERE \(filter) ORDER BY j.id LIMIT $2
                """, [.int(id), .int(Int64(max(0, limit)))])
            return try (0..<r.count).map { i in
                ClaimRow(id: try r.int64(i, 0), token: 0, key: try r.bytes(i, 1) ?? [], promptId: try r.int64(i, 2), messages: try r.text(i, 3),
                         baseURL: try r.text(i, 4), model: try r.text(i, 5), kind: try r.text(i, 6), apiKeyEnv: r.string(i, 7),
                         params: try r.text(i, 8), sampleIndex: try r.int(i, 9), attempts: try r.int(i, 10), teacherName: try r.text(i, 11),
                         teacherId: try r.int64(i, 12))
            }
        }
        do {
            return try rows.map { try $0.decode() }
        } catch {
            throw StoreError.corrupt(path: url, detail: "\(error)")
        }
    }
}
