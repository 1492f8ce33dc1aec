extension SQLiteStore {
    /// The members of `setName` whose conversation does not end with an assistant turn (they cannot be scored):
    /// how many, and the first of their ids (byte order). `(0, nil)` when every member can be scored.
    public func unscorableMembers(setName: String) throws -> (count: Int, firstId: String?) {
        try read { db in
            try db.with("""
                SELECT count(*), min(m.external_id) FROM set_members m
                JOIN prompt_sets ps ON ps.id = m.set_id JOIN prompts p ON p.id = m.prompt_id
                WHERE ps.name = ?1 AND coalesce(json_extract(p.messages, '$[#-1].role'), '') <> 'assistant'
                """) { s in
                try s.bind(setName, at: 1)
                guard try s.step() else { return (0, nil) }
                let count = s.int(0)
                return (count, count > 0 ? s.string(1) : nil)
            }
        }
    }
}
