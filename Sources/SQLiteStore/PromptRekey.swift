import HarvestCore

/// The data step of the migration `v4PromptIdentity`: re-keys a database written with the old prompt hash and
/// removes credentials from stored teacher URLs, inside the migration's transaction (all or nothing).
///
/// The SQL of the migration only sets the `meta` row `rekey_prompt_identity = pending`; ``Migrations/migrate``
/// runs ``runIfPending(_:)`` after the SQL, in the same transaction, and the row is deleted when done. Steps:
/// 1. teachers: `base_url` loses user-info and query (``TeacherURL/redacted(_:)``); an identity that is a URL
///    with credentials (older default identities) is redacted the same way (a clash with another teacher of the
///    same model and kind gets ` #ID` appended);
/// 2. prompts: `hash` becomes the canonical ``PromptHash/hash(_:)`` of the stored messages;
/// 3. jobs: `key` is recomputed with ``JobKey/make(promptHash:model:teacherName:kind:canonicalParams:sampleIndex:)``
///    from the new prompt hash, the (redacted) teacher identity, the stored canonical parameters and the sample
///    index — exactly the key a sweep computes now, so a re-run after the migration finds every job and sends
///    nothing that was done. Job ids, states, attempts and responses are untouched. Each old key is kept in
///    `job_key_aliases`, so a rescue file written before the migration still finds its jobs.
///
/// Prompts that two different conversations shared under the old hash (NUL characters in a content) stay one
/// prompt: the stored messages are the first import's.
enum PromptRekey {
    static let marker = "rekey_prompt_identity"

    static func runIfPending(_ db: SQLiteDatabase) throws {
        let pending = try db.queryOne("SELECT value FROM meta WHERE key = ?1", bind: { try $0.bind(marker, at: 1) }, read: { $0.string(0) })
        guard pending != nil else { return }
        // Freed bytes of rewritten rows are zeroed, so removed credentials do not linger in the file's pages.
        try db.execute("PRAGMA secure_delete = ON")
        defer { try? db.execute("PRAGMA secure_delete = OFF") }
        let teachers = try scrubTeachers(db)
        let promptHashes = try rehashPrompts(db)
        try rekeyJobs(db, teachers: teachers, promptHashes: promptHashes)
        try db.with("DELETE FROM meta WHERE key = ?1") { s in try s.bind(marker, at: 1); try s.run() }
    }

    /// Teacher id → (identity, model, kind) after redaction.
    private static func scrubTeachers(_ db: SQLiteDatabase) throws -> [Int64: (name: String, model: String, kind: EndpointKind)] {
        var rows: [(id: Int64, name: String, url: String, model: String, kind: String)] = []
        try db.with("SELECT id, name, base_url, model, kind FROM teachers ORDER BY id") { s in
            while try s.step() { rows.append((s.int64(0), s.string(1), s.string(2), s.string(3), s.string(4))) }
        }
        var taken = Set(rows.map { "\($0.name)\n\($0.model)\n\($0.kind)" })
        var out: [Int64: (name: String, model: String, kind: EndpointKind)] = [:]
        for row in rows {
            var name = row.name
            if TeacherIdentity.isLegacyURLName(name), TeacherURL(name).hasSecrets {
                taken.remove("\(name)\n\(row.model)\n\(row.kind)")
                name = TeacherURL.redacted(name)
                if taken.contains("\(name)\n\(row.model)\n\(row.kind)") { name += " #\(row.id)" }
                taken.insert("\(name)\n\(row.model)\n\(row.kind)")
            }
            let url = TeacherURL.redacted(row.url)
            if name != row.name || url != row.url {
                try db.with("UPDATE teachers SET name = ?2, base_url = ?3 WHERE id = ?1") { s in
                    try s.bind(row.id, at: 1); try s.bind(name, at: 2); try s.bind(url, at: 3); try s.run()
                }
            }
            out[row.id] = (name, row.model, EndpointKind(rawValue: row.kind) ?? .chat)
        }
        return out
    }

    /// Prompt id → new hash.
    private static func rehashPrompts(_ db: SQLiteDatabase) throws -> [Int64: [UInt8]] {
        var rows: [(id: Int64, messages: String)] = []
        try db.with("SELECT id, messages FROM prompts ORDER BY id") { s in
            while try s.step() { rows.append((s.int64(0), s.string(1))) }
        }
        var out: [Int64: [UInt8]] = [:]
        out.reserveCapacity(rows.count)
        let update = try db.prepare("UPDATE prompts SET hash = ?2 WHERE id = ?1")
        for row in rows {
            let messages: [ChatMessage]
            do {
                messages = try ChatMessage.parseArray(row.messages)
            } catch {
                throw StoreError.corrupt(path: db.path, detail: "prompt \(row.id): stored messages are not a JSON array of {role, content} (\(error))")
            }
            let hash = PromptHash.hash(messages)
            try update.bind(row.id, at: 1); try update.bind(blob: hash, at: 2); try update.run()
            update.reset()
            out[row.id] = hash
        }
        return out
    }

    private static func rekeyJobs(_ db: SQLiteDatabase, teachers: [Int64: (name: String, model: String, kind: EndpointKind)],
                                  promptHashes: [Int64: [UInt8]]) throws {
        var params: [Int64: String] = [:]
        try db.with("SELECT id, canonical FROM param_sets") { s in
            while try s.step() { params[s.int64(0)] = s.string(1) }
        }
        var keys: [(id: Int64, key: [UInt8], old: [UInt8])] = []
        try db.with("SELECT id, prompt_id, teacher_id, param_set_id, sample_index, key FROM jobs ORDER BY id") { s in
            while try s.step() {
                let id = s.int64(0)
                let old = s.blob(5)
                guard let hash = promptHashes[s.int64(1)], let teacher = teachers[s.int64(2)], let canonical = params[s.int64(3)] else {
                    throw StoreError.corrupt(path: db.path, detail: "job \(id) refers to a missing prompt, teacher or parameter set")
                }
                keys.append((id, JobKey.make(promptHash: hash, model: teacher.model, teacherName: teacher.name, kind: teacher.kind,
                                             canonicalParams: canonical, sampleIndex: s.int(4)), old))
            }
        }
        let update = try db.prepare("UPDATE jobs SET key = ?2 WHERE id = ?1")
        let alias = try db.prepare("INSERT OR IGNORE INTO job_key_aliases(key, job_id) VALUES(?1, ?2)")
        for (id, key, old) in keys where key != old {
            try update.bind(id, at: 1); try update.bind(blob: key, at: 2); try update.run()
            update.reset()
            try alias.bind(blob: old, at: 1); try alias.bind(id, at: 2); try alias.run()
            alias.reset()
        }
    }
}
