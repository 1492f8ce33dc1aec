import HarvestCore
import HarvestStore
import SQLiteStore

/// Prompt import on PostgreSQL, in chunks of ``importChunk`` prompts: a handful of statements per chunk (rows as
/// binary arrays unpacked with `unnest`), not several round trips per prompt.
extension PostgresStore {
    /// Key of the transaction-scoped advisory lock that serializes prompt imports.
    static let importLockKey: Int64 = 0x6861_7276_6573_7402
    /// Prompts per chunk of statements.
    static let importChunk = 2_000

    /// Imports prompts into set `setName` (created when missing) in one all-or-nothing transaction, with the rules of
    /// SQLite's import: prompts stored once by content hash, a re-import is a no-op (a reference answer or verifier
    /// given now is filled in), an id of the set with other messages throws
    /// ``StoreError/conflict(setName:externalId:location:)`` and nothing is written.
    public func importPrompts(setName: String, prompts: [PromptInput], sourceName: String) async throws -> ImportSummary {
        guard !setName.isEmpty else { throw StoreError.invalidInput("the prompt set name is empty") }
        return try await pool.transaction { c in try Self.importPrompts(c, setName: setName, prompts: prompts, sourceName: sourceName) }
    }

    /// The statements of ``importPrompts(setName:prompts:sourceName:)`` on `c`, inside the caller's transaction.
    /// Imports take a transaction-scoped advisory lock (``importLockKey``): two imports of overlapping prompts in
    /// different orders would otherwise wait on each other's rows (a deadlock PostgreSQL would break by failing one).
    static func importPrompts(_ c: PostgresConnection, setName: String, prompts: [PromptInput], sourceName: String) throws -> ImportSummary {
        try c.execute("SELECT pg_advisory_xact_lock($1)", [.int(importLockKey)])
        let set = try c.execute("""
            INSERT INTO prompt_sets(name, created_at) VALUES($1, \(now)) ON CONFLICT(name) DO UPDATE SET name = excluded.name RETURNING id
            """, [.text(setName)]).int64(0, 0)
        var summary = ImportSummary(setName: setName, added: 0, unchanged: 0)
        for start in stride(from: 0, to: prompts.count, by: importChunk) {
            let chunk = prompts[start..<min(prompts.count, start + importChunk)]
            try importChunk(c, setId: set, setName: setName, chunk, sourceName: sourceName, into: &summary)
        }
        return summary
    }

    private static func importChunk(_ c: PostgresConnection, setId: Int64, setName: String, _ chunk: ArraySlice<PromptInput>,
                                    sourceName: String, into summary: inout ImportSummary) throws {
        // The set's members among these ids, with their prompts' hashes.
        var ids = PostgresBinaryArray(.text)
        for p in chunk { ids.append(p.externalId) }
        let found = try c.execute("""
            SELECT m.external_id, p.hash FROM set_members m JOIN prompts p ON p.id = m.prompt_id
            WHERE m.set_id = $1 AND m.external_id = ANY($2::text[])
            """, [.int(setId), .binaryArray(ids)])
        var known: [String: [UInt8]] = [:]
        for i in 0..<found.count { known[try found.text(i, 0)] = try found.bytes(i, 1) ?? [] }
        var fresh: [(prompt: PromptInput, hash: [UInt8])] = []
        var refill = (ids: PostgresBinaryArray(.text), references: PostgresBinaryArray(.text), verifiers: PostgresBinaryArray(.text))
        for p in chunk {
            let hash = p.contentHash
            if let have = known[p.externalId] {
                guard have == hash else {
                    let location = p.source.file.isEmpty ? InputLocation(file: sourceName, line: p.source.line) : p.source
                    throw StoreError.conflict(setName: setName, externalId: p.externalId, location: location)
                }
                if p.reference != nil || p.verifier != nil {
                    refill.ids.append(p.externalId)
                    refill.references.append(p.reference)
                    refill.verifiers.append(p.verifier)
                }
                summary.unchanged += 1
            } else {
                known[p.externalId] = hash  // an id repeated later in the file is checked against this one
                fresh.append((p, hash))
            }
        }
        if !fresh.isEmpty { try insert(c, setId: setId, fresh, sourceName: sourceName) }
        summary.added += fresh.count
        if refill.ids.count > 0 {
            try c.execute("""
                UPDATE set_members m SET reference = coalesce(u.reference, m.reference), verifier = coalesce(u.verifier, m.verifier)
                FROM unnest($2::text[], $3::text[], $4::text[]) AS u(external_id, reference, verifier)
                WHERE m.set_id = $1 AND m.external_id = u.external_id
                """, [.int(setId), .binaryArray(refill.ids), .binaryArray(refill.references), .binaryArray(refill.verifiers)])
        }
    }

    /// Stores the prompts (once per hash) and the set's new members.
    private static func insert(_ c: PostgresConnection, setId: Int64, _ fresh: [(prompt: PromptInput, hash: [UInt8])],
                               sourceName: String) throws {
        var hashes = PostgresBinaryArray(.bytea), messages = PostgresBinaryArray(.text)
        for (p, hash) in fresh {
            hashes.append(hash)
            messages.append(ChatMessage.jsonArray(p.messages))
        }
        try c.execute("""
            INSERT INTO prompts(hash, messages, created_at) SELECT u.hash, u.messages, \(now) FROM unnest($1::bytea[], $2::text[]) AS u(hash, messages)
            ON CONFLICT(hash) DO NOTHING
            """, [.binaryArray(hashes), .binaryArray(messages)])
        let rows = try c.execute("SELECT hash, id FROM prompts WHERE hash = ANY($1::bytea[])", [.binaryArray(hashes)])
        var idByHash: [[UInt8]: Int64] = [:]
        for i in 0..<rows.count { idByHash[try rows.bytes(i, 0) ?? []] = try rows.int64(i, 1) }
        var members = (ids: PostgresBinaryArray(.text), prompts: PostgresBinaryArray(.int8), metadata: PostgresBinaryArray(.text),
                       sources: PostgresBinaryArray(.text), lines: PostgresBinaryArray(.int8), references: PostgresBinaryArray(.text),
                       verifiers: PostgresBinaryArray(.text))
        for (p, hash) in fresh {
            guard let id = idByHash[hash] else { throw StoreError.corrupt(path: c.url.value, detail: "prompt row vanished during import") }
            members.ids.append(p.externalId)
            members.prompts.append(id)
            members.metadata.append(p.metadataJSON)
            members.sources.append(p.source.file.isEmpty ? sourceName : p.source.file)
            members.lines.append(p.source.line > 0 ? Int64(p.source.line) : nil)
            members.references.append(p.reference)
            members.verifiers.append(p.verifier)
        }
        try c.execute("""
            INSERT INTO set_members(set_id, external_id, prompt_id, metadata, source, line, reference, verifier)
            SELECT $1, u.* FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[])
              AS u(external_id, prompt_id, metadata, source, line, reference, verifier)
            """, [.int(setId), .binaryArray(members.ids), .binaryArray(members.prompts), .binaryArray(members.metadata),
                  .binaryArray(members.sources), .binaryArray(members.lines), .binaryArray(members.references),
                  .binaryArray(members.verifiers)])
    }
}
