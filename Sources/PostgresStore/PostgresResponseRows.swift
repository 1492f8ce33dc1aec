import HarvestCore
import HarvestStore
import SQLiteStore

/// The statement behind ``PostgresStore/responses(query:)`` and the response cursor, and the decoding of its rows:
/// the columns, joins, order and membership rule of SQLite's `responses(query:)`, so both backends return the
/// same rows. Text comparisons that decide which row or order is chosen use `COLLATE "C"` (byte order, as SQLite's
/// `BINARY`), whatever the database's collation.
struct PostgresResponseRows {
    /// The statement and its parameters.
    let sql: String
    let params: [PostgresValue]
    /// Decode token texts of logprobs (ids and logprobs only otherwise; scored rows are always decoded whole).
    let logprobTexts: Bool
    /// Decode ids and logprobs into ``StoredResponse/logprobColumns`` (``ResponseQuery/logprobColumns``).
    let logprobColumns: Bool

    /// Builds the statement for `query` on `c` (resolving the set and sweep; throws `StoreError.unknownSet` /
    /// `unknownSweep`); `paged` adds `LIMIT query.limit` (a cursor reads without one).
    init(_ query: ResponseQuery, paged: Bool, _ c: PostgresConnection) throws {
        var setId: Int64?
        var membership = "none"
        if let name = query.setName {
            let r = try c.execute("SELECT id FROM prompt_sets WHERE name = $1", [.text(name)])
            guard r.count == 1 else { throw StoreError.unknownSet(name) }
            setId = try r.int64(0, 0)
            membership = "filter"
        }
        if let sweepId = query.sweepId {
            let r = try c.execute("SELECT set_id FROM sweeps WHERE id = $1", [.int(sweepId)])
            guard r.count == 1 else { throw StoreError.unknownSweep(sweepId) }
            if setId == nil {
                setId = try r.int64(0, 0)
                membership = "lookup"
            }
        }
        var params: [PostgresValue] = [.int(query.afterId)]
        func param(_ v: PostgresValue) -> String {
            params.append(v)
            return "$\(params.count)"
        }
        // A page (`paged`) first picks its response ids by primary key — the set filter an `EXISTS` on the member
        // index, each id's row joined after — so reading a page costs its own rows: joined in one statement, the planner
        // estimated the member join at 2 rows and read and sorted everything after `afterId` for every page (a
        // curation of 24,000 answers read 14,000 rows for its 6th page of 2,000).
        var rows = "responses r"
        if paged {
            var filters = "r.id > $1"
            if let setId, membership == "filter" {
                filters += " AND EXISTS (SELECT 1 FROM set_members ms WHERE ms.set_id = \(param(.int(setId))) AND ms.prompt_id = j.prompt_id)"
            }
            filters += Self.conditions(query, param)
            rows = """
                (SELECT r.id FROM responses r JOIN jobs j ON j.id = r.job_id WHERE \(filters) ORDER BY r.id \
                LIMIT \(param(.int(Int64(query.limit))))) page JOIN responses r ON r.id = page.id
                """
        }
        var sql = """
            SELECT r.id, r.job_id, j.prompt_id, p.hash, p.messages, t.base_url, t.model, t.kind, t.api_key_env, pa.canonical,
              j.sample_index, r.choice_index, r.content, r.reasoning, r.finish_reason, r.prompt_tokens, r.completion_tokens,
              r.total_tokens, r.reasoning_tokens, r.model, r.response_id, r.received_at, \(query.includeLogprobs ? "r.logprobs" : "NULL::bytea"),
              \(membership == "none" ? "NULL::text, NULL::text" : "m.external_id, m.metadata"), t.name, t.id
            FROM \(rows)
            JOIN jobs j ON j.id = r.job_id
            JOIN prompts p ON p.id = j.prompt_id
            JOIN teachers t ON t.id = j.teacher_id
            JOIN param_sets pa ON pa.id = j.param_set_id
            """
        if let setId, membership != "none" {
            // One row per response: the member with the lowest external id (byte order) when a prompt has several.
            sql += """

                \(membership == "filter" ? "JOIN" : "LEFT JOIN") LATERAL (SELECT m.external_id, m.metadata FROM set_members m
                  WHERE m.set_id = \(param(.int(setId))) AND m.prompt_id = j.prompt_id ORDER BY m.external_id COLLATE "C" LIMIT 1) m ON true
                """
        }
        if !paged { sql += "\nWHERE r.id > $1" + Self.conditions(query, param) }
        sql += " ORDER BY r.id"
        self.sql = sql
        self.params = params
        logprobTexts = query.logprobTexts
        logprobColumns = query.logprobColumns
    }

    /// The sweep and `excludeMarked` conditions on `r` (a response) and `j` (its job), each after " AND ".
    private static func conditions(_ query: ResponseQuery, _ param: (PostgresValue) -> String) -> String {
        var sql = ""
        if let sweepId = query.sweepId {
            sql += " AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = \(param(.int(sweepId))) AND sj.job_id = r.job_id)"
        }
        if query.excludeMarked {
            sql += " AND NOT EXISTS (SELECT 1 FROM curation_marks cm WHERE cm.response_id = r.id) AND NOT " + PostgresVerifyMarks.marked("r.id")
        }
        return sql
    }

    /// The rows of `result` as stored responses, logprobs decoded against the teachers' vocabularies (read through `c`).
    func decode(_ result: PostgresResult, vocabulary: PostgresReadVocabulary, _ c: PostgresConnection) throws -> [StoredResponse] {
        var out: [StoredResponse] = []
        out.reserveCapacity(result.count)
        for i in 0..<result.count { out.append(try row(result, i, vocabulary, c)) }
        return out
    }

    private func row(_ s: PostgresResult, _ i: Int, _ vocabulary: PostgresReadVocabulary, _ c: PostgresConnection) throws -> StoredResponse {
        let id = try s.int64(i, 0)
        let kindText = try s.text(i, 7)
        guard let kind = EndpointKind(rawValue: kindText) else {
            throw StoreError.corrupt(path: c.url.value, detail: "response \(id): unknown endpoint kind '\(kindText)'")
        }
        let params = try SamplingParams.fromCanonicalJSON(try s.text(i, 9))
        var logprobs: [TokenLogprob]?
        var columns: LogprobColumns?
        if let blob = try s.bytes(i, 22) {
            do {
                // A scored sequence's answer is found by its token texts: always decoded whole (as on SQLite).
                if logprobColumns && params.score == nil {
                    columns = try vocabulary.decodeColumns(blob, teacherId: try s.int64(i, 26), c)
                } else {
                    logprobs = try vocabulary.decode(blob, teacherId: try s.int64(i, 26), texts: logprobTexts || params.score != nil, c)
                }
            } catch {
                throw StoreError.corrupt(path: c.url.value, detail: "response \(id): its logprobs do not decode: \(error)")
            }
        }
        func int(_ column: Int) throws -> Int? { try s.optionalInt64(i, column).map { Int($0) } }
        let usage: Usage? = (15...18).allSatisfy({ s.isNull(i, $0) }) ? nil
            : Usage(promptTokens: try int(15), completionTokens: try int(16), totalTokens: try int(17), reasoningTokens: try int(18))
        var row = StoredResponse(
            id: id, jobId: try s.int64(i, 1), promptId: try s.int64(i, 2), promptHash: PromptHash.hex(try s.bytes(i, 3) ?? []),
            externalId: s.string(i, 23), metadataJSON: s.string(i, 24),
            messages: try ChatMessage.parseArray(try s.text(i, 4)),
            teacher: TeacherEndpoint(baseURL: try s.text(i, 5), model: try s.text(i, 6), kind: kind, apiKeyEnv: s.string(i, 8),
                                     name: try s.text(i, 25)),
            params: params, sampleIndex: try s.int(i, 10),
            choice: CompletionChoice(index: try s.int(i, 11), content: try s.text(i, 12), reasoning: s.string(i, 13),
                                     finishReason: s.string(i, 14), logprobs: logprobs),
            usage: usage, model: s.string(i, 19), responseId: s.string(i, 20), receivedAt: try s.optionalDouble(i, 21) ?? 0)
        row.logprobColumns = columns
        return row
    }
}
