/// One text to deduplicate: an id to report, and an order that decides which of a group is kept.
public struct TextItem: Sendable, Hashable {
    /// Id reported in results (a response id, or a prompt id).
    public var id: Int64
    /// The raw text (each stage normalizes it).
    public var text: String
    /// Visiting order; the first of a duplicate group is kept. Defaults to `id` (lowest id wins); for prompts it
    /// is the lowest response id of the prompt.
    public var order: Int64

    /// Creates an item.
    public init(id: Int64, text: String, order: Int64? = nil) {
        self.id = id
        self.text = text
        self.order = order ?? id
    }

    /// Items sorted by order, then id, then input position (stable).
    static func ordered(_ items: [TextItem]) -> [TextItem] {
        items.enumerated().sorted { ($0.element.order, $0.element.id, $0.offset) < ($1.element.order, $1.element.id, $1.offset) }
            .map(\.element)
    }
}
