import HarvestJSON
import LoopbackHTTP

/// The OpenAI-style batch API of the mock teacher: `POST /v1/files` (multipart), `GET /v1/files/{id}/content`,
/// `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`.
extension RequestHandler {
    func batchAPI(_ head: HTTPRequestHead, body: [UInt8]) -> ConnectionAction {
        let store = state.batches
        let parts = head.path.split(separator: "/").map(String.init)
        switch (head.method, parts.count) {
        case ("POST", 2) where parts[1] == "files":
            guard let form = Self.multipart(body), let bytes = form["file"]?.bytes else {
                return error(400, "Send multipart/form-data with fields 'purpose' and 'file'.")
            }
            let purpose = form["purpose"].map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
            guard purpose == "batch" else { return error(400, "'purpose' must be 'batch'.", param: "purpose") }
            let file = store.addFile(bytes, filename: form["file"]?.filename ?? "input.jsonl", purpose: purpose)
            if store.snapshot().filesUploaded == 1 { delay(state.configuration.batch.uploadReplyDelay) }
            writer.reset()
            writer.beginObject()
            writer.key("id"); writer.string(file.id)
            writer.key("object"); writer.string("file")
            writer.key("bytes"); writer.int(file.bytes.count)
            writer.key("created_at"); writer.int(file.createdAt)
            writer.key("filename"); writer.string(file.filename)
            writer.key("purpose"); writer.string(file.purpose)
            writer.endObject()
            return reply(HTTPReply(status: 200))
        case ("GET", 4) where parts[1] == "files" && parts[3] == "content":
            guard let file = store.file(parts[2]) else { return error(404, "No such file: \(parts[2]).", type: "not_found_error") }
            if file.purpose == "batch_output", store.noteResultDownload() == 1 { delay(state.configuration.batch.downloadReplyDelay) }
            writer.reset()
            writer.bytes.append(contentsOf: file.bytes)
            return reply(HTTPReply(status: 200))
        case ("POST", 2) where parts[1] == "batches":
            guard let json = try? JSONValue.parse(body), let fileId = json["input_file_id"]?.stringValue,
                  let endpoint = json["endpoint"]?.stringValue else {
                return error(400, "Send a JSON object with input_file_id and endpoint.")
            }
            guard endpoint == "/v1/chat/completions" || endpoint == "/v1/completions" else {
                return error(400, "Unsupported endpoint \(endpoint).", param: "endpoint")
            }
            switch store.createBatch(inputFileId: fileId, endpoint: endpoint, window: json["completion_window"]?.stringValue ?? "24h",
                                     metadata: json["metadata"]?.objectValue ?? []) {
            case .failure(let invalid):
                return error(400, invalid.message, param: "input_file_id")
            case .success(let batch):
                if store.snapshot().batchesCreated == 1 { delay(state.configuration.batch.createReplyDelay) }
                return batchReply(batch)
            }
        case ("GET", 2) where parts[1] == "batches":
            writer.reset()
            writer.beginObject()
            writer.key("object"); writer.string("list")
            writer.key("data"); writer.beginArray()
            for batch in store.list() { Self.write(batch, into: &writer) }
            writer.endArray()
            writer.key("has_more"); writer.bool(false)
            writer.endObject()
            return reply(HTTPReply(status: 200))
        case ("GET", 3) where parts[1] == "batches":
            guard let batch = store.batch(parts[2]) else { return error(404, "No such batch: \(parts[2]).", type: "not_found_error") }
            return batchReply(batch)
        case ("POST", 4) where parts[1] == "batches" && parts[3] == "cancel":
            guard let batch = store.cancel(parts[2]) else { return error(404, "No such batch: \(parts[2]).", type: "not_found_error") }
            return batchReply(batch)
        default:
            return error(404, "Unknown path \(head.method) \(head.path).", type: "not_found_error")
        }
    }

    private func delay(_ seconds: Double) {
        if seconds > 0 { _ = SocketIO.interruptibleSleep(seconds: seconds, wakeFD: state.wakeFD) }
    }

    private func batchReply(_ batch: MockBatchStore.Batch) -> ConnectionAction {
        writer.reset()
        Self.write(batch, into: &writer)
        return reply(HTTPReply(status: 200))
    }

    static func write(_ b: MockBatchStore.Batch, into w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(b.id)
        w.key("object"); w.string("batch")
        w.key("endpoint"); w.string(b.endpoint)
        w.key("errors")
        if b.errors.isEmpty || b.status != "failed" {
            w.null()
        } else {
            w.beginObject()
            w.key("object"); w.string("list")
            w.key("data"); w.beginArray()
            for e in b.errors.prefix(100) {
                w.beginObject()
                w.key("code"); w.string(e.code)
                w.key("message"); w.string(e.message)
                w.key("line"); if let line = e.line { w.int(line) } else { w.null() }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.key("input_file_id"); w.string(b.inputFileId)
        w.key("completion_window"); w.string(b.window)
        w.key("status"); w.string(b.status)
        w.key("output_file_id"); w.stringOrNull(b.outputFileId)
        w.key("error_file_id"); w.stringOrNull(b.errorFileId)
        w.key("created_at"); w.int(Int(b.created))
        w.key("request_counts"); w.beginObject()
        w.key("total"); w.int(b.lines.count)
        w.key("completed"); w.int(b.completed)
        w.key("failed"); w.int(b.failed)
        w.endObject()
        w.key("metadata"); w.value(.object(b.metadata))
        w.endObject()
    }

    /// Parts of a `multipart/form-data` body by field name; the boundary is read from the body's first line.
    static func multipart(_ body: [UInt8]) -> [String: (filename: String?, bytes: [UInt8])]? {
        guard let firstEnd = find(Array("\r\n".utf8), in: body, from: 0) else { return nil }
        let delimiter = Array("\r\n".utf8) + Array(body[0..<firstEnd])
        var parts: [String: (filename: String?, bytes: [UInt8])] = [:]
        var start = firstEnd + 2
        while let end = find(delimiter, in: body, from: start) {
            let part = Array(body[start..<end])
            if let headEnd = find(Array("\r\n\r\n".utf8), in: part, from: 0) {
                let head = String(decoding: part[0..<headEnd], as: UTF8.self)
                if let name = value(of: "name", in: head) {
                    parts[name] = (value(of: "filename", in: head), Array(part[(headEnd + 4)...]))
                }
            }
            start = end + delimiter.count
            if body.count >= start + 2, body[start] == UInt8(ascii: "-"), body[start + 1] == UInt8(ascii: "-") { break }
            start += 2
        }
        return parts
    }

    private static func value(of key: String, in head: String) -> String? {
        let bytes = Array(head.utf8)
        guard let at = find(Array(" \(key)=\"".utf8), in: bytes, from: 0) ?? find(Array(";\(key)=\"".utf8), in: bytes, from: 0) else {
            return nil
        }
        let start = at + key.utf8.count + 3
        guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: bytes[start..<close], as: UTF8.self)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
