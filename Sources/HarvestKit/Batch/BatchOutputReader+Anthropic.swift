import HarvestCore
import HarvestJSON
import HarvestStore

extension BatchOutputReader {
    /// One line of an Anthropic results file, `{"custom_id", "result": {"type", …}}`:
    /// - `succeeded`: an answer — `text` blocks are the content, `thinking` blocks the reasoning, `usage`
    ///   `input_tokens`/`output_tokens` the tokens, `stop_reason` `max_tokens` → finish reason `length`
    ///   (`end_turn`, `stop_sequence` → `stop`);
    /// - `errored`: an error attempt, fatal for `invalid_request_error`, `authentication_error`,
    ///   `permission_error`, `not_found_error`, retried otherwise;
    /// - `canceled` / `expired`: not run (nil).
    func anthropicResult(_ result: JSONValue, jobId: Int64, receivedAt: Double) -> BatchLineResult? {
        let latency = max(0, receivedAt - startedAt) * 1000
        switch result["type"]?.stringValue {
        case "succeeded":
            guard let message = result["message"], let blocks = message["content"]?.arrayValue else {
                return .error(attempt: AttemptRecord(jobId: jobId, startedAt: startedAt, latencyMs: latency, httpStatus: 200,
                                                     outcome: .retry, error: "batch line: succeeded without message content"), fatal: false)
            }
            let text = blocks.filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }.joined()
            let thinking = blocks.filter { $0["type"]?.stringValue == "thinking" }.compactMap { $0["thinking"]?.stringValue }
            let finish: String? = switch message["stop_reason"]?.stringValue {
            case "max_tokens": "length"
            case "end_turn", "stop_sequence": "stop"
            case let other: other
            }
            let choice = CompletionChoice(index: 0, content: text, reasoning: thinking.isEmpty ? nil : thinking.joined(separator: "\n\n"),
                                          finishReason: finish)
            let usage = Usage(promptTokens: message["usage"]?["input_tokens"]?.intValue,
                              completionTokens: message["usage"]?["output_tokens"]?.intValue)
            let attempt = AttemptRecord(jobId: jobId, startedAt: startedAt, latencyMs: latency, httpStatus: 200, outcome: .success,
                                        error: logprobsRequested ? SweepRunner.missingLogprobsNote : nil)
            let record = ResponseRecord(jobId: jobId, choice: choice, usage: usage, model: message["model"]?.stringValue,
                                        responseId: message["id"]?.stringValue, systemFingerprint: nil, receivedAt: receivedAt)
            return .answer(attempt: attempt, response: record)
        case "errored":
            let error = result["error"]?["error"] ?? result["error"]
            let type = error?["type"]?.stringValue ?? "error"
            let fatal = ["invalid_request_error", "authentication_error", "permission_error", "not_found_error"].contains(type)
            let message = "batch line: \(type): " + (error?["message"]?.stringValue ?? "error without message")
            return .error(attempt: AttemptRecord(jobId: jobId, startedAt: startedAt, latencyMs: latency, httpStatus: nil,
                                                 outcome: fatal ? .fatal : .retry, error: message), fatal: fatal)
        default:
            return nil
        }
    }
}
