import HarvestJSON
import LoopbackHTTP

/// Anthropic's Message Batches API on the mock teacher: `POST /v1/messages/batches`, `GET /v1/messages/batches`,
/// `GET /v1/messages/batches/{id}`, `POST /v1/messages/batches/{id}/cancel`, `GET /v1/messages/batches/{id}/results`.
/// Each request is turned into an OpenAI-style chat line and run by the same ``MockBatchStore`` (same timing and
/// faults: line errors, an expiring batch, cancel); statuses and result lines are translated on the way out.
/// A request whose `params` enable `thinking` gets a `thinking` block before its text.
extension RequestHandler {
    func anthropicBatchAPI(_ head: HTTPRequestHead, body: [UInt8]) -> ConnectionAction {
        let store = state.batches
        let parts = head.path.split(separator: "?", maxSplits: 1)[0].split(separator: "/").map(String.init)
        // parts: v1, messages, batches[, id[, cancel|results]]
        switch (head.method, parts.count) {
        case ("POST", 3):
            guard let json = try? JSONValue.parse(body), let requests = json["requests"]?.arrayValue, !requests.isEmpty else {
                return error(400, "Send a JSON object with a non-empty requests array.")
            }
            var lines: [UInt8] = []
            var thinking: [(String, JSONValue)] = []
            for (i, request) in requests.enumerated() {
                guard let customId = request["custom_id"]?.stringValue, let params = request["params"], params["max_tokens"]?.intValue != nil,
                      params["model"]?.stringValue != nil, let messages = params["messages"]?.arrayValue else {
                    return error(400, "requests.\(i): custom_id and params with model, max_tokens and messages are required.")
                }
                var chat: [(String, JSONValue)] = [("model", params["model"]!), ("max_tokens", params["max_tokens"]!)]
                var all: [JSONValue] = []
                if let system = params["system"]?.stringValue { all.append(.object([("role", .string("system")), ("content", .string(system))])) }
                chat.append(("messages", .array(all + messages)))
                if let t = params["temperature"] { chat.append(("temperature", t)) }
                if let p = params["top_p"] { chat.append(("top_p", p)) }
                if let stop = params["stop_sequences"] { chat.append(("stop", stop)) }
                let line: JSONValue = .object([("custom_id", .string(customId)), ("method", .string("POST")),
                                               ("url", .string("/v1/chat/completions")), ("body", .object(chat))])
                var w = JSONWriter(capacity: 512)
                w.value(line)
                lines += w.bytes
                lines.append(0x0A)
                if params["thinking"]?["type"]?.stringValue == "enabled" { thinking.append((customId, .bool(true))) }
            }
            let file = store.addFile(lines, filename: "message-batch.jsonl", purpose: "batch", upload: false)
            switch store.createBatch(inputFileId: file.id, endpoint: "/v1/chat/completions", window: "24h",
                                     metadata: [("anthropic_thinking", .object(thinking))]) {
            case .failure(let invalid): return error(400, invalid.message)
            case .success(let batch):
                if store.snapshot().batchesCreated == 1 { pause(state.configuration.batch.createReplyDelay) }
                return anthropicReply(batch)
            }
        case ("GET", 3):
            writer.reset()
            writer.beginObject()
            writer.key("data"); writer.beginArray()
            let all = store.list()
            for batch in all { Self.writeAnthropic(batch, baseURL: state.baseURL, into: &writer) }
            writer.endArray()
            writer.key("has_more"); writer.bool(false)
            writer.key("first_id"); writer.stringOrNull(all.first?.id)
            writer.key("last_id"); writer.stringOrNull(all.last?.id)
            writer.endObject()
            return reply(HTTPReply(status: 200))
        case ("GET", 4):
            guard let batch = store.batch(parts[3]) else { return error(404, "No such batch: \(parts[3]).", type: "not_found_error") }
            return anthropicReply(batch)
        case ("POST", 5) where parts[4] == "cancel":
            guard let batch = store.cancel(parts[3]) else { return error(404, "No such batch: \(parts[3]).", type: "not_found_error") }
            return anthropicReply(batch)
        case ("GET", 5) where parts[4] == "results":
            guard let batch = store.batch(parts[3]) else { return error(404, "No such batch: \(parts[3]).", type: "not_found_error") }
            guard Self.anthropicStatus(batch.status) == "ended" else { return error(400, "Batch \(batch.id) has not ended yet.") }
            if store.noteResultDownload() == 1 { pause(state.configuration.batch.downloadReplyDelay) }
            let thinking = Set((batch.metadata.first { $0.0 == "anthropic_thinking" }?.1.objectValue ?? []).map(\.0))
            writer.reset()
            for fileId in [batch.outputFileId, batch.errorFileId].compactMap({ $0 }) {
                guard let file = store.file(fileId) else { continue }
                for raw in file.bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
                    guard let line = try? JSONValue.parse(raw) else { continue }
                    var w = JSONWriter(capacity: 1024)  // one writer per line: a writer separates top-level values with commas
                    Self.writeAnthropicResult(line, thinking: thinking, into: &w)
                    writer.bytes += w.bytes
                    writer.bytes.append(0x0A)
                }
            }
            return reply(HTTPReply(status: 200))
        default:
            return error(404, "Unknown path \(head.method) \(head.path).", type: "not_found_error")
        }
    }

    private func pause(_ seconds: Double) {
        if seconds > 0 { _ = SocketIO.interruptibleSleep(seconds: seconds, wakeFD: state.wakeFD) }
    }

    private func anthropicReply(_ batch: MockBatchStore.Batch) -> ConnectionAction {
        writer.reset()
        Self.writeAnthropic(batch, baseURL: state.baseURL, into: &writer)
        return reply(HTTPReply(status: 200))
    }

    /// `in_progress` while validating, running or finalizing; `canceling`; `ended` once the batch has ended.
    static func anthropicStatus(_ status: String) -> String {
        switch status {
        case "cancelling": "canceling"
        case "completed", "expired", "cancelled", "failed": "ended"
        default: "in_progress"
        }
    }

    static func writeAnthropic(_ b: MockBatchStore.Batch, baseURL: String, into w: inout JSONWriter) {
        let status = anthropicStatus(b.status)
        let n = b.lines.count
        let ended = status == "ended"
        let notRun = ended ? n - b.completed - b.failed : 0
        w.beginObject()
        w.key("id"); w.string(b.id)
        w.key("type"); w.string("message_batch")
        w.key("processing_status"); w.string(status)
        w.key("request_counts"); w.beginObject()
        w.key("processing"); w.int(ended ? 0 : n)
        w.key("succeeded"); w.int(ended ? b.completed : 0)
        w.key("errored"); w.int(ended ? b.failed : 0)
        w.key("canceled"); w.int(b.status == "cancelled" ? notRun : 0)
        w.key("expired"); w.int(b.status == "cancelled" ? 0 : notRun)
        w.endObject()
        w.key("created_at"); w.string(iso8601(b.created))
        w.key("cancel_initiated_at"); if let c = b.cancelAt { w.string(iso8601(c)) } else { w.null() }
        w.key("results_url"); if ended { w.string("\(baseURL)/messages/batches/\(b.id)/results") } else { w.null() }
        w.endObject()
    }

    /// One OpenAI-style output or error line as an Anthropic result line.
    static func writeAnthropicResult(_ line: JSONValue, thinking: Set<String>, into w: inout JSONWriter) {
        let customId = line["custom_id"]?.stringValue ?? ""
        w.beginObject()
        w.key("custom_id"); w.string(customId)
        w.key("result"); w.beginObject()
        let response = line["response"]
        if response == nil || response!.isNull {
            let code = line["error"]?["code"]?.stringValue
            w.key("type"); w.string(code == "batch_cancelled" ? "canceled" : code == "batch_expired" ? "expired" : "errored")
        } else if response!["status_code"]?.intValue == 200, let body = response!["body"] {
            let text = body["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
            w.key("type"); w.string("succeeded")
            w.key("message"); w.beginObject()
            w.key("id"); w.string(body["id"]?.stringValue ?? "msg_mock")
            w.key("type"); w.string("message")
            w.key("role"); w.string("assistant")
            w.key("model"); w.string(body["model"]?.stringValue ?? "mock-teacher")
            w.key("content"); w.beginArray()
            if thinking.contains(customId) {
                w.beginObject()
                w.key("type"); w.string("thinking")
                w.key("thinking"); w.string("Mock reasoning for \(customId.prefix(8)).")
                w.key("signature"); w.string("mock")
                w.endObject()
            }
            w.beginObject()
            w.key("type"); w.string("text")
            w.key("text"); w.string(text)
            w.endObject()
            w.endArray()
            let finish = body["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue
            w.key("stop_reason"); w.string(finish == "length" ? "max_tokens" : "end_turn")
            w.key("usage"); w.beginObject()
            w.key("input_tokens"); w.int(body["usage"]?["prompt_tokens"]?.intValue ?? 0)
            w.key("output_tokens"); w.int(body["usage"]?["completion_tokens"]?.intValue ?? 0)
            w.endObject()
            w.endObject()
        } else {
            w.key("type"); w.string("errored")
            w.key("error"); w.beginObject()
            w.key("type"); w.string("error")
            w.key("error"); w.beginObject()
            w.key("type"); w.string("api_error")
            w.key("message"); w.string("The mock teacher had an injected error on this line.")
            w.endObject()
            w.endObject()
        }
        w.endObject()
        w.endObject()
    }

    static func iso8601(_ t: Double) -> String {
        let seconds = Int(t)
        let days = seconds / 86_400
        var rest = seconds % 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let h = rest / 3600; rest %= 3600
        let micro = Int((t - Double(seconds)) * 1_000_000)
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(rest / 60, 2)):\(pad(rest % 60, 2)).\(pad(micro, 6))Z"
    }
}
