import HarvestCore

extension SQLiteStore {
    /// How the set membership (external id, metadata) of a response is found.
    private enum Membership { case none, filter, lookup }

    private static func responsesSQL(membership: Membership, bySweep: Bool, logprobs: Bool, excludeMarked: Bool) -> String {
        // ?1 afterId, ?2 limit, ?3 set id, ?4 sweep id. CROSS JOIN keeps responses as the outer loop (id order).
        var sql = """
            SELECT r.id, r.job_id, j.prompt_id, p.hash, p.messages, t.base_url, t.model, t.kind, t.api_key_env, pa.canonical,
              j.sample_index, r.choice_index, r.content, r.reasoning, r.finish_reason, r.prompt_tokens, r.completion_tokens,
              r.total_tokens, r.reasoning_tokens, r.model, r.response_id, r.received_at, \(logprobs ? "r.logprobs" : "NULL"),
              \(membership == .none ? "NULL, NULL" : "m.external_id, m.metadata"), t.name, t.id
            FROM responses r
            CROSS JOIN jobs j ON j.id = r.job_id
            CROSS JOIN prompts p ON p.id = j.prompt_id
            CROSS JOIN teachers t ON t.id = j.teacher_id
            CROSS JOIN param_sets pa ON pa.id = j.param_set_id
            """
        if membership != .none {
            // One row per response: the member with the lowest external id (byte order) when a prompt has several.
            sql += """

                \(membership == .filter ? "CROSS JOIN" : "LEFT JOIN") set_members m ON m.set_id = ?3 AND m.prompt_id = j.prompt_id
                  AND m.external_id = (SELECT min(m2.external_id) FROM set_members m2 WHERE m2.set_id = ?3 AND m2.prompt_id = j.prompt_id)
                """
        }
        sql += "\nWHERE r.id > ?1"
        if bySweep { sql += " AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = ?4 AND sj.job_id = r.job_id)" }
        if excludeMarked {
            sql += " AND NOT EXISTS (SELECT 1 FROM curation_marks cm WHERE cm.response_id = r.id) AND NOT " + verifyMarked("r.id")
        }
        sql += " ORDER BY r.id LIMIT ?2"
        return sql
    }

    /// One page of stored responses with `id > query.afterId`, in id order (keyset pagination).
    ///
    /// Selecting by set returns responses to the set's prompts, with `externalId`/`metadataJSON` from that
    /// set; a prompt listed under several ids in the set is returned once, with its lowest id (byte
    /// order). Selecting by sweep returns the sweep's responses, with ids from the sweep's set unless
    /// `setName` is also given. With neither, all responses are returned without ids.
    /// Throws ``StoreError/unknownSet(_:)`` / ``StoreError/unknownSweep(_:)``.
    public func responses(query: ResponseQuery) throws -> [StoredResponse] {
        guard query.limit > 0 else { return [] }
        return try read { db in
            var setId: Int64?
            var membership = Membership.none
            if let name = query.setName {
                setId = try db.queryOne("SELECT id FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(name, at: 1) }, read: { $0.int64(0) })
                guard setId != nil else { throw StoreError.unknownSet(name) }
                membership = .filter
            }
            if let sweepId = query.sweepId {
                let sweepSet = try db.queryOne("SELECT set_id FROM sweeps WHERE id = ?1", bind: { try $0.bind(sweepId, at: 1) }, read: { $0.int64(0) })
                guard let sweepSet else { throw StoreError.unknownSweep(sweepId) }
                if setId == nil {
                    setId = sweepSet
                    membership = .lookup
                }
            }
            let sql = Self.responsesSQL(membership: membership, bySweep: query.sweepId != nil, logprobs: query.includeLogprobs,
                                              excludeMarked: query.excludeMarked)
            return try db.with(sql) { s in
                try s.bind(query.afterId, at: 1); try s.bind(query.limit, at: 2)
                if let setId { try s.bind(setId, at: 3) }
                if let sweepId = query.sweepId { try s.bind(sweepId, at: 4) }
                var out: [StoredResponse] = []
                while try s.step() {
                    out.append(try storedResponse(s, db, logprobTexts: query.logprobTexts, columns: query.logprobColumns))
                }
                return out
            }
        }
    }

    private func storedResponse(_ s: SQLiteStatement, _ db: SQLiteDatabase, logprobTexts: Bool = true,
                                columns: Bool = false) throws -> StoredResponse {
        let id = s.int64(0)
        guard let kind = EndpointKind(rawValue: s.string(7)) else { throw JobRows.Bad("response \(id): unknown endpoint kind '\(s.string(7))'") }
        let params = try SamplingParams.fromCanonicalJSON(s.string(9))
        var logprobs: [TokenLogprob]?
        var logprobColumns: LogprobColumns?
        if let blob = s.optionalBlob(22) {
            do {
                // A scored sequence's answer is found by its token texts: always decoded whole.
                if params.score != nil || (logprobTexts && !columns) {
                    logprobs = try vocabularyCache.decode(blob, teacherId: s.int64(26), db)
                } else if columns {
                    logprobColumns = try vocabularyCache.decodeColumns(blob, teacherId: s.int64(26), db)
                } else {
                    logprobs = try vocabularyCache.decodeIdsAndLogprobs(blob, teacherId: s.int64(26), db)
                }
            } catch {
                throw JobRows.Bad("response \(id): \(error)")
            }
        }
        let usage: Usage? = (15...18).allSatisfy(s.isNull) ? nil
            : Usage(promptTokens: s.optionalInt(15), completionTokens: s.optionalInt(16), totalTokens: s.optionalInt(17), reasoningTokens: s.optionalInt(18))
        var row = StoredResponse(
            id: id, jobId: s.int64(1), promptId: s.int64(2), promptHash: PromptHash.hex(s.blob(3)),
            externalId: s.optionalString(23), metadataJSON: s.optionalString(24),
            messages: try ChatMessage.parseArray(s.string(4)),
            teacher: TeacherEndpoint(baseURL: s.string(5), model: s.string(6), kind: kind, apiKeyEnv: s.optionalString(8), name: s.string(25)),
            params: params, sampleIndex: s.int(10),
            choice: CompletionChoice(index: s.int(11), content: s.string(12), reasoning: s.optionalString(13),
                                     finishReason: s.optionalString(14), logprobs: logprobs),
            usage: usage, model: s.optionalString(19), responseId: s.optionalString(20), receivedAt: s.double(21))
        row.logprobColumns = logprobColumns
        return row
    }

    /// The raw response body kept for response `id` (with `--keep-raw`), or nil.
    public func rawBody(responseId id: Int64) throws -> [UInt8]? {
        try read { db in
            try db.queryOne("SELECT raw FROM responses WHERE id = ?1", bind: { try $0.bind(id, at: 1) }) { $0.optionalBlob(0) } ?? nil
        }
    }
}
