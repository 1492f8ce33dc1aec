/// What ``SetupStore/importPrompts(setName:prompts:sourceName:)`` did.
public struct ImportSummary: Sendable, Equatable {
    /// The prompt set imported into.
    public var setName: String
    /// Prompts newly added to the set.
    public var added: Int
    /// Prompts already in the set with the same id and messages (left as they were).
    public var unchanged: Int

    /// Creates a summary.
    public init(setName: String, added: Int, unchanged: Int) {
        self.setName = setName
        self.added = added
        self.unchanged = unchanged
    }
}
