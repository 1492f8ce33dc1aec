import HarvestJSON

extension BatchInfo {
    /// Reads an Anthropic Message Batch object. `processing_status` maps onto the OpenAI statuses harvest shows:
    /// `in_progress` → `in_progress`, `canceling` → `cancelling`, `ended` → `cancelled` when a cancel was initiated,
    /// `expired` when requests expired, else `completed`. `results_url` is kept as ``outputFileId``; counts:
    /// total = every request, completed = `succeeded`, failed = `errored`.
    public init(anthropic json: JSONValue) throws(BatchParseError) {
        guard let id = json["id"]?.stringValue, let processing = json["processing_status"]?.stringValue else {
            throw BatchParseError(detail: "a message batch object needs string fields id and processing_status")
        }
        let counts = json["request_counts"]
        func count(_ key: String) -> Int { counts?[key]?.intValue ?? 0 }
        let status: String
        switch processing {
        case "in_progress": status = "in_progress"
        case "canceling": status = "cancelling"
        case "ended":
            let cancelled = json["cancel_initiated_at"].map { !$0.isNull } ?? false
            status = cancelled ? "cancelled" : count("expired") > 0 ? "expired" : "completed"
        default: status = processing
        }
        self.init(id: id, status: status, inputFileId: nil, outputFileId: json["results_url"]?.stringValue, errorFileId: nil,
                  total: count("processing") + count("succeeded") + count("errored") + count("canceled") + count("expired"),
                  completed: count("succeeded"), failed: count("errored"), metadata: [:], errors: nil)
    }

    /// Creates an info from its fields.
    public init(id: String, status: String, inputFileId: String?, outputFileId: String?, errorFileId: String?, total: Int,
                completed: Int, failed: Int, metadata: [String: String], errors: String?) {
        self.id = id
        self.status = status
        self.inputFileId = inputFileId
        self.outputFileId = outputFileId
        self.errorFileId = errorFileId
        self.total = total
        self.completed = completed
        self.failed = failed
        self.metadata = metadata
        self.errors = errors
    }
}
