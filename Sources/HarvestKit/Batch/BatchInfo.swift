import HarvestJSON

/// A provider batch as the OpenAI-style API reports it (`GET /v1/batches/{id}`).
public struct BatchInfo: Sendable, Equatable {
    /// Provider batch id.
    public var id: String
    /// `validating`, `failed`, `in_progress`, `finalizing`, `completed`, `expired`, `cancelling`, `cancelled`.
    public var status: String
    /// Input file id.
    public var inputFileId: String?
    /// Output file id (answers), once there is one.
    public var outputFileId: String?
    /// Error file id (failed lines), once there is one.
    public var errorFileId: String?
    /// `request_counts.total`.
    public var total: Int
    /// `request_counts.completed`.
    public var completed: Int
    /// `request_counts.failed`.
    public var failed: Int
    /// `metadata` string values.
    public var metadata: [String: String]
    /// Batch-level errors (validation), joined for people; nil when none.
    public var errors: String?

    /// Terminal statuses: nothing changes after them.
    public static let terminal: Set<String> = ["completed", "expired", "failed", "cancelled"]

    /// Whether the batch has ended.
    public var isTerminal: Bool { Self.terminal.contains(status) }

    /// Reads a batch object.
    public init(json: JSONValue) throws(BatchParseError) {
        guard let id = json["id"]?.stringValue, let status = json["status"]?.stringValue else {
            throw BatchParseError(detail: "a batch object needs string fields id and status")
        }
        self.id = id
        self.status = status
        inputFileId = json["input_file_id"]?.stringValue
        outputFileId = json["output_file_id"]?.stringValue
        errorFileId = json["error_file_id"]?.stringValue
        let counts = json["request_counts"]
        total = counts?["total"]?.intValue ?? 0
        completed = counts?["completed"]?.intValue ?? 0
        failed = counts?["failed"]?.intValue ?? 0
        var metadata: [String: String] = [:]
        for (key, value) in json["metadata"]?.objectValue ?? [] {
            if let s = value.stringValue { metadata[key] = s }
        }
        self.metadata = metadata
        let messages = (json["errors"]?["data"]?.arrayValue ?? []).compactMap { item -> String? in
            guard let message = item["message"]?.stringValue else { return nil }
            let line = item["line"]?.intValue.map { " (line \($0))" } ?? ""
            return (item["code"]?.stringValue.map { "\($0): " } ?? "") + message + line
        }
        errors = messages.isEmpty ? nil : messages.prefix(5).joined(separator: "; ")
    }
}

/// A batch API body that could not be read.
public struct BatchParseError: Error, Sendable {
    /// What was wrong.
    public var detail: String
}
