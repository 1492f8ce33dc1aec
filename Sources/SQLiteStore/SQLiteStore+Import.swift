import HarvestCore

/// A prompt ready to store: hashed and serialized on the caller's thread.
struct PromptRow: Sendable {
    var externalId: String, hash: [UInt8], messagesJSON: String, metadata: String?, location: InputLocation
    var reference: String?, verifier: String?

    init(_ p: PromptInput) {
        externalId = p.externalId
        hash = p.contentHash
        messagesJSON = ChatMessage.jsonArray(p.messages)
        metadata = p.metadataJSON
        location = p.source
        reference = p.reference
        verifier = p.verifier
    }
}

enum ImportRows {
    static func importPrompts(_ db: SQLiteDatabase, setName: String, prompts: [PromptRow], sourceName: String, now: Double) throws -> ImportSummary {
        try db.with("INSERT INTO prompt_sets(name, created_at) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING") { s in
            try s.bind(setName, at: 1); try s.bind(now, at: 2); try s.run()
        }
        guard let setId = try db.queryOne("SELECT id FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(setName, at: 1) }, read: { $0.int64(0) }) else {
            throw StoreError.unknownSet(setName)
        }
        var added = 0, unchanged = 0
        for p in prompts {
            let existing = try db.queryOne("SELECT prompt_id FROM set_members WHERE set_id = ?1 AND external_id = ?2", bind: { s in
                try s.bind(setId, at: 1); try s.bind(p.externalId, at: 2)
            }, read: { $0.int64(0) })
            if let existing {
                let same = try promptId(db, hash: p.hash)
                guard same == existing else {
                    let location = p.location.file.isEmpty ? InputLocation(file: sourceName, line: p.location.line) : p.location
                    throw StoreError.conflict(setName: setName, externalId: p.externalId, location: location)
                }
                try fillReference(db, setId: setId, setName: setName, p)
                unchanged += 1
                continue
            }
            try db.with("INSERT INTO prompts(hash, messages, created_at) VALUES(?1, ?2, ?3) ON CONFLICT(hash) DO NOTHING") { s in
                try s.bind(blob: p.hash, at: 1); try s.bind(p.messagesJSON, at: 2); try s.bind(now, at: 3); try s.run()
            }
            let inserted: Int64? = db.changes == 1 ? db.lastInsertRowid : nil
            guard let id = try inserted ?? promptId(db, hash: p.hash) else { throw StoreError.corrupt(path: db.path, detail: "prompt row vanished during import") }
            try db.with("""
                INSERT INTO set_members(set_id, external_id, prompt_id, metadata, source, line, reference, verifier)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """) { s in
                try s.bind(setId, at: 1); try s.bind(p.externalId, at: 2); try s.bind(id, at: 3); try s.bind(p.metadata, at: 4)
                try s.bind(p.location.file.isEmpty ? sourceName : p.location.file, at: 5)
                try s.bind(p.location.line > 0 ? p.location.line : nil, at: 6)
                try s.bind(p.reference, at: 7); try s.bind(p.verifier, at: 8)
                try s.run()
            }
            added += 1
        }
        return ImportSummary(setName: setName, added: added, unchanged: unchanged)
    }

    /// A re-import may add a reference (or verifier) a member did not have, or change it: then the set's verdicts
    /// are judged again (its `verify` progress and verdicts are dropped; `verify` marks too).
    static func fillReference(_ db: SQLiteDatabase, setId: Int64, setName: String, _ p: PromptRow) throws {
        guard p.reference != nil || p.verifier != nil else { return }
        try db.with("""
            UPDATE set_members SET reference = coalesce(?3, reference), verifier = coalesce(?4, verifier)
            WHERE set_id = ?1 AND external_id = ?2 AND (reference IS NOT coalesce(?3, reference) OR verifier IS NOT coalesce(?4, verifier))
            """) { s in
            try s.bind(setId, at: 1); try s.bind(p.externalId, at: 2); try s.bind(p.reference, at: 3); try s.bind(p.verifier, at: 4)
            try s.run()
        }
        guard db.changes > 0 else { return }
        try db.with("DELETE FROM curation_progress WHERE set_name = ?1 AND stage = 'verify'") { s in try s.bind(setName, at: 1); try s.run() }
        try db.with("DELETE FROM verifications WHERE set_id = ?1") { s in try s.bind(setId, at: 1); try s.run() }
        try db.with("DELETE FROM curation_marks WHERE stage = 'verify' AND response_id IN (SELECT r.id FROM responses r JOIN jobs j "
                    + "ON j.id = r.job_id JOIN set_members m ON m.prompt_id = j.prompt_id WHERE m.set_id = ?1)") { s in
            try s.bind(setId, at: 1); try s.run()
        }
    }

    static func promptId(_ db: SQLiteDatabase, hash: [UInt8]) throws -> Int64? {
        try db.queryOne("SELECT id FROM prompts WHERE hash = ?1", bind: { try $0.bind(blob: hash, at: 1) }, read: { $0.int64(0) })
    }
}

extension SQLiteStore {
    /// Imports prompts into the set `setName` (created when missing) in one all-or-nothing transaction.
    ///
    /// Prompts are stored once by content hash. An id already in the set with the same messages is left
    /// as it was (so re-importing a file is a no-op, metadata included); an id already in the set with
    /// different messages throws ``StoreError/conflict(setName:externalId:location:)`` naming the input
    /// line, and nothing of the import is kept. `sourceName` names the input when a prompt's
    /// `source.file` is empty. Blocks until committed.
    public func importPrompts(setName: String, prompts: [PromptInput], sourceName: String) throws -> ImportSummary {
        guard !setName.isEmpty else { throw StoreError.invalidInput("the prompt set name is empty") }
        let rows = prompts.map(PromptRow.init)
        return try writeSync { db in
            try ImportRows.importPrompts(db, setName: setName, prompts: rows, sourceName: sourceName, now: unixNow())
        }
    }
}
