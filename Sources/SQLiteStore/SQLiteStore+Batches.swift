import HarvestCore

/// Provider batches: recorded with their jobs before anything is uploaded, advanced stage by stage, collected once.
extension SQLiteStore {
    /// How long the jobs of an open batch stay leased to it (a provider batch completes within 24 h; a batch that
    /// was never collected for this long lets its jobs be claimed by a normal sweep again).
    public static let batchLeaseSeconds: Double = 30 * 86_400

    /// Up to `limit` pending jobs of the sweep, lowest id first (read only; nothing is leased).
    public func pendingJobs(sweepId: Int64, limit: Int) throws -> [Job] {
        let rows = try read { db in
            try BatchRows.jobs(db, filter: """
                j.state = 'pending' AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = ?1 AND sj.job_id = j.id)
                """, limit: limit) { try $0.bind(sweepId, at: 1) }
        }
        return try decode(rows)
    }

    /// The jobs of batch `batchId` in id order: those without a result yet (to rebuild its input file) when
    /// `openOnly`, else all; at most `limit`.
    public func batchJobs(batchId: Int64, openOnly: Bool = true, limit: Int = Int(Int32.max)) throws -> [Job] {
        let open = openOnly ? " AND outcome IS NULL" : ""
        let rows = try read { db in
            try BatchRows.jobs(db, filter: """
                j.id IN (SELECT job_id FROM batch_jobs WHERE batch_id = ?1\(open))
                """, limit: limit) { try $0.bind(batchId, at: 1) }
        }
        return try decode(rows)
    }

    /// Every line of batch `batchId`: custom id → job id.
    public func batchLines(batchId: Int64) throws -> [String: Int64] {
        try read { db in
            try db.with("SELECT custom_id, job_id FROM batch_jobs WHERE batch_id = ?1") { s in
                try s.bind(batchId, at: 1)
                var out: [String: Int64] = [:]
                while try s.step() { out[s.string(0)] = s.int64(1) }
                return out
            }
        }
    }

    /// Records a new batch (stage `prepared`) with one line per job and leases the jobs to it, in one transaction,
    /// before anything is uploaded. Throws ``StoreError/invalidInput(_:)`` (and records nothing) when a job is no
    /// longer pending.
    /// `worstCost` is the file's worst-case cost at the batch price (reserved against a run's budget while open);
    /// `wire` the provider's batch API (`openai`, `anthropic`).
    public func recordBatch(sweepId: Int64, ref: String, lines: [(jobId: Int64, customId: String)], bytes: Int,
                            priceFactor: Double, worstCost: Double? = nil, wire: String = "openai") async throws -> BatchRecord {
        let id = try await write { db in
            try BatchRows.insert(db, sweepId: sweepId, ref: ref, lines: lines, bytes: bytes, priceFactor: priceFactor, worstCost: worstCost, wire: wire,
                                 leaseSeconds: Self.batchLeaseSeconds, now: unixNow())
        }
        guard let record = try batch(id: id) else { throw StoreError.corrupt(path: path, detail: "batch \(id) vanished after insert") }
        return record
    }

    /// The batch `id`, or nil.
    public func batch(id: Int64) throws -> BatchRecord? {
        try read { db in try BatchRows.batches(db, where: "id = ?1") { try $0.bind(id, at: 1) }.first }
    }

    /// Batches not yet collected: of sweep `sweepId`, or of every sweep when nil.
    public func openBatches(sweepId: Int64? = nil) throws -> [BatchRecord] {
        try read { db in
            if let sweepId {
                return try BatchRows.batches(db, where: "sweep_id = ?1 AND stage <> 'collected'") { try $0.bind(sweepId, at: 1) }
            }
            return try BatchRows.batches(db, where: "stage <> 'collected'") { _ in }
        }
    }

    /// The teacher whose sweep batch `batchId` belongs to (where it was sent), or nil for an unknown batch.
    public func batchTeacher(batchId: Int64) throws -> TeacherEndpoint? {
        try read { db in
            try db.queryOne("""
                SELECT t.base_url, t.model, t.kind, t.api_key_env, t.name FROM batches b JOIN sweeps s ON s.id = b.sweep_id
                JOIN teachers t ON t.id = s.teacher_id WHERE b.id = ?1
                """, bind: { try $0.bind(batchId, at: 1) }) { s in
                TeacherEndpoint(baseURL: s.string(0), model: s.string(1), kind: EndpointKind(rawValue: s.string(2)) ?? .chat,
                                apiKeyEnv: s.optionalString(3), name: s.string(4))
            }
        }
    }

    /// Every provider batch id harvest has recorded.
    public func providerBatchIds() throws -> Set<String> {
        try read { db in
            try db.with("SELECT provider_batch_id FROM batches WHERE provider_batch_id IS NOT NULL") { s in
                var out = Set<String>()
                while try s.step() { out.insert(s.string(0)) }
                return out
            }
        }
    }

    /// Every batch of sweep `sweepId` (or of all sweeps), oldest first.
    public func batches(sweepId: Int64? = nil) throws -> [BatchRecord] {
        try read { db in
            if let sweepId { return try BatchRows.batches(db, where: "sweep_id = ?1") { try $0.bind(sweepId, at: 1) } }
            return try BatchRows.batches(db, where: "1") { _ in }
        }
    }

    /// Records the uploaded input file (stage `uploaded`).
    public func markBatchUploaded(id: Int64, inputFileId: String) async throws {
        try await update(id, "stage = 'uploaded', input_file_id = ?2") { try $0.bind(inputFileId, at: 2) }
    }

    /// Records the provider's batch id and status (stage `submitted`) unless another id was recorded first; returns
    /// the id the batch has now (see ``BatchStore/markBatchSubmitted(id:providerBatchId:status:)``).
    @discardableResult
    public func markBatchSubmitted(id: Int64, providerBatchId: String, status: String) async throws -> String {
        try await write { db in
            try db.with("""
                UPDATE batches SET stage = 'submitted', provider_batch_id = ?2, provider_status = ?3, updated_at = ?4
                WHERE id = ?1 AND (provider_batch_id IS NULL OR provider_batch_id = ?2)
                """) { s in
                try s.bind(id, at: 1); try s.bind(providerBatchId, at: 2); try s.bind(status, at: 3); try s.bind(unixNow(), at: 4)
                try s.run()
            }
            let recorded = try db.queryOne("SELECT provider_batch_id FROM batches WHERE id = ?1", bind: { try $0.bind(id, at: 1) },
                                           read: { $0.optionalString(0) })
            return (recorded ?? nil) ?? providerBatchId
        }
    }

    /// Records the provider's latest view of the batch.
    public func updateBatchStatus(id: Int64, status: String, outputFileId: String?, errorFileId: String?, lastError: String?) async throws {
        try await update(id, """
            provider_status = ?2, output_file_id = coalesce(?3, output_file_id), error_file_id = coalesce(?4, error_file_id),
            last_error = coalesce(?5, last_error)
            """) { s in
            try s.bind(status, at: 2); try s.bind(outputFileId, at: 3); try s.bind(errorFileId, at: 4); try s.bind(lastError, at: 5)
        }
    }

    /// Stores result lines of batch `batchId` in one transaction: each answer exactly like a normal answer (attempt,
    /// response with logprobs, job done, spend at `priceFactor` × the teacher's prices), each error as an attempt
    /// (the job back to pending, or failed when fatal or after `maxAttempts`). Lines already applied are skipped,
    /// so a collection interrupted by a crash can simply run again.
    public func applyBatchResults(batchId: Int64, results: [BatchLineResult], maxAttempts: Int, priceFactor: Double) async throws -> BatchApplySummary {
        guard !results.isEmpty else { return BatchApplySummary() }
        let vocabulary = vocabularyWriter
        return try await write { db in
            try BatchRows.apply(db, batchId: batchId, results: results, maxAttempts: maxAttempts, priceFactor: priceFactor,
                                vocabulary: vocabulary, now: unixNow())
        }
    }

    /// Closes batch `batchId` (stage `collected`): jobs without a result go back to pending with no attempt counted.
    /// With a `roundLimit` (the daemon's `batch_rounds`), a job that has come back unanswered from that many batches
    /// (this one included) is marked failed instead. Returns how many went back and how many failed.
    @discardableResult
    public func finishBatch(id: Int64, roundLimit: Int? = nil) async throws -> BatchReturn {
        try await write { db in try BatchRows.finish(db, batchId: id, now: unixNow(), roundLimit: roundLimit) }
    }

    /// Runs `body`: a SQLite file has one writer, and the process working a sweep's batches is the one command or
    /// daemon using the file (see ``BatchStore/withBatchSweepLock(sweepId:_:)``).
    public func withBatchSweepLock<T: Sendable>(sweepId: Int64, _ body: () async throws -> T) async throws -> T? {
        try await body()
    }

    /// True: see ``withBatchSweepLock(sweepId:_:)``.
    public func holdsBatchSweepLock(sweepId: Int64) async throws -> Bool { true }

    private func update(_ id: Int64, _ assignments: String, bind: @escaping @Sendable (SQLiteStatement) throws -> Void) async throws {
        try await write { db in
            try db.with("UPDATE batches SET \(assignments), updated_at = ?9 WHERE id = ?1") { s in
                try s.bind(id, at: 1); try s.bind(unixNow(), at: 9)
                try bind(s)
                try s.run()
            }
        }
    }

    private func decode(_ rows: [ClaimedRow]) throws -> [Job] {
        do {
            return try rows.map { try $0.decode() }
        } catch {
            throw StoreError.corrupt(path: path, detail: "\(error)")
        }
    }
}
