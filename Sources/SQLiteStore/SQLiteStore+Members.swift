extension SQLiteStore {
    /// The ids a prompt has in prompt sets: `(set name, external id)` pairs ordered by set name, then id (byte order).
    public func memberships(promptId: Int64) throws -> [(set: String, externalId: String)] {
        try read { db in
            try db.with("""
                SELECT ps.name, m.external_id FROM set_members m JOIN prompt_sets ps ON ps.id = m.set_id
                WHERE m.prompt_id = ?1 ORDER BY ps.name, m.external_id
                """) { s in
                try s.bind(promptId, at: 1)
                var out: [(set: String, externalId: String)] = []
                while try s.step() { out.append((s.string(0), s.string(1))) }
                return out
            }
        }
    }
}
