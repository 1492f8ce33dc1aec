/// Spend accounting (schema version 2): the cost of each paid answer, and its sum per queued run.
enum SpendRows {
    /// Sets the cost of successful attempt `attemptId` from its usage and the job's teacher prices, and adds it
    /// (and one paid answer) to the newest run that links the job. A teacher without prices costs nothing (NULL).
    /// Runs inside the commit transaction of the answer, so the spend is never counted without the answer or
    /// the answer without its spend. `priceFactor` scales the list price (a provider batch: 0.5).
    static func charge(_ db: SQLiteDatabase, attemptId: Int64, jobId: Int64, promptTokens: Int?, completionTokens: Int?,
                       priceFactor: Double = 1) throws {
        let cost = try db.queryOne("""
            UPDATE attempts SET cost = (
              SELECT (?2 * t.input_per_million + ?3 * t.output_per_million) * ?5 / 1000000.0
              FROM jobs j JOIN teachers t ON t.id = j.teacher_id
              WHERE j.id = ?4 AND t.input_per_million IS NOT NULL AND t.output_per_million IS NOT NULL)
            WHERE id = ?1 RETURNING cost
            """, bind: { s in
            try s.bind(attemptId, at: 1); try s.bind(max(0, promptTokens ?? 0), at: 2); try s.bind(max(0, completionTokens ?? 0), at: 3)
            try s.bind(jobId, at: 4); try s.bind(priceFactor, at: 5)
        }, read: { $0.optionalDouble(0) }) ?? nil
        try db.with("""
            UPDATE sweep_runs SET spent = spent + ?2, answers = answers + 1
            WHERE id = (SELECT max(run_id) FROM run_jobs WHERE job_id = ?1)
            """) { s in
            try s.bind(jobId, at: 1); try s.bind(cost ?? 0, at: 2); try s.run()
        }
    }

    /// Writes the prices of teacher (`name`, `model`, `kind`); nil prices clear them. Returns the rows changed.
    static func setPrices(_ db: SQLiteDatabase, name: String, model: String, kind: String, input: Double?, output: Double?) throws -> Int {
        try db.with("""
            UPDATE teachers SET input_per_million = ?4, output_per_million = ?5 WHERE name = ?1 AND model = ?2 AND kind = ?3
            """) { s in
            try s.bind(name, at: 1); try s.bind(model, at: 2); try s.bind(kind, at: 3)
            try s.bind(input, at: 4); try s.bind(output, at: 5)
            try s.run()
        }
        return db.changes
    }
}
