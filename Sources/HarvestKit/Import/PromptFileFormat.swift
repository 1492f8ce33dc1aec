/// The layout of a prompt file.
public enum PromptFileFormat: String, Sendable, CaseIterable {
    /// One JSON object per line: `{"id","prompt"}` or `{"id","messages":[...]}`, optional `system`, `metadata`.
    case jsonl
    /// RFC 4180 CSV with a header row; the prompt is in a named column.
    case csv
    /// Plain text, one prompt per non-empty line.
    case text

    /// Guesses the format from the file extension (`.jsonl`/`.json`/`.ndjson`, `.csv`, anything else is text).
    public static func guess(path: String) -> PromptFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonl }
        if lower.hasSuffix(".csv") { return .csv }
        return .text
    }
}
