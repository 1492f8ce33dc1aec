/// SQL for the marks of stage `verify` on PostgreSQL: since migration version 5 a `wrong` or `no_answer` verdict
/// **is** the response's `verify` mark (no `curation_marks` row), so every mark reader reads both, with the same rows
/// as SQLite's readers (`SQLiteStore.verifyMarks`).
enum PostgresVerifyMarks {
    /// The verdicts that are marks of stage `verify` (SQL over `verifications`).
    static let dropped = "verdict IN ('wrong', 'no_answer')"

    /// SQL: the response `idExpr` has a `wrong`/`no_answer` verdict in some set (its `verify` mark).
    static func marked(_ idExpr: String) -> String {
        "EXISTS (SELECT 1 FROM verifications vm WHERE vm.response_id = \(idExpr) AND vm.\(dropped))"
    }

    /// The verdicts that are marks as rows shaped like `curation_marks` (`response_id, stage, reason, detail,
    /// params_fingerprint, run_id, created_at`) for the verdicts `v` matching `where`: a row per set that judged the
    /// response. `detail` is the verdict as compact JSON with SQLite's key order (`verdict`, `extracted`, `rule`,
    /// `verifier`, `reason`); the fingerprint is the set's `verify` progress fingerprint.
    static func rows(_ where: String) -> String {
        """
        SELECT v.response_id, 'verify'::text AS stage,
          CASE v.verdict WHEN 'wrong' THEN 'wrong final answer' ELSE 'no final answer' END AS reason,
          '{"verdict":' || to_json(v.verdict)::text || ',"extracted":' || coalesce(to_json(v.extracted)::text, 'null')
            || ',"rule":' || coalesce(to_json(v.rule)::text, 'null') || ',"verifier":' || to_json(v.verifier)::text
            || ',"reason":' || to_json(v.reason)::text || '}' AS detail,
          coalesce((SELECT cp.params_fingerprint FROM curation_progress cp JOIN prompt_sets ps ON ps.name = cp.set_name
                    WHERE ps.id = v.set_id AND cp.stage = 'verify'), '') AS params_fingerprint,
          coalesce(v.run_id, 0) AS run_id, v.created_at
        FROM verifications v WHERE v.\(dropped) AND (\(`where`))
        """
    }

    /// SQL for the id of the set named by parameter `$n` (NULL when there is none, so nothing matches).
    static func setIdOf(_ n: Int) -> String {
        "(SELECT id FROM prompt_sets WHERE name = $\(n))"
    }
}
