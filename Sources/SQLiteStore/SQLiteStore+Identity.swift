import HarvestCore

/// Teacher identities already used for a prompt set: how a re-run keeps the keys of sweeps created by older
/// versions (whose default identity was the URL) and how a sweep warns before paying for answers a set already has.
extension SQLiteStore {
    /// The stored identity of the sweep on `setName` with this model, endpoint kind and canonical sampling
    /// parameters whose identity is a URL (the default of older versions, ``TeacherIdentity/isLegacyURLName(_:)``);
    /// the one with the most done jobs when there are several (newest first on a tie). Nil when there is none.
    public func legacyTeacherIdentity(setName: String, model: String, kind: EndpointKind, canonicalParams: String) throws -> String? {
        try read { db in
            try db.queryOne("""
                SELECT t.name FROM sweeps s
                JOIN prompt_sets ps ON ps.id = s.set_id
                JOIN teachers t ON t.id = s.teacher_id
                JOIN param_sets pa ON pa.id = s.param_set_id
                WHERE ps.name = ?1 AND t.model = ?2 AND t.kind = ?3 AND pa.canonical = ?4
                  AND (t.name LIKE 'http://%' OR t.name LIKE 'https://%')
                ORDER BY (SELECT count(*) FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id
                          WHERE sj.sweep_id = s.id AND j.state = 'done') DESC, s.id DESC
                LIMIT 1
                """, bind: { s in
                try s.bind(setName, at: 1); try s.bind(model, at: 2); try s.bind(kind.rawValue, at: 3)
                try s.bind(canonicalParams, at: 4)
            }, read: { $0.string(0) })
        }
    }

    /// Answers (done jobs) for prompts of `setName` from `model` over `kind`, by teacher identity, most first.
    public func answeredIdentities(setName: String, model: String, kind: EndpointKind) throws -> [(name: String, answers: Int)] {
        try read { db in
            var out: [(name: String, answers: Int)] = []
            try db.with("""
                SELECT t.name, count(*) FROM jobs j
                JOIN teachers t ON t.id = j.teacher_id
                WHERE t.model = ?2 AND t.kind = ?3 AND j.state = 'done'
                  AND j.prompt_id IN (SELECT sm.prompt_id FROM set_members sm JOIN prompt_sets ps ON ps.id = sm.set_id
                                      WHERE ps.name = ?1)
                GROUP BY t.name ORDER BY count(*) DESC, t.name
                """) { s in
                try s.bind(setName, at: 1); try s.bind(model, at: 2); try s.bind(kind.rawValue, at: 3)
                while try s.step() { out.append((s.string(0), s.int(1))) }
            }
            return out
        }
    }
}
