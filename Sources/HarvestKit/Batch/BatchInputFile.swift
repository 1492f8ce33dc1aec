import HarvestCore
import HarvestJSON
import OpenAIWire

/// Builds batch input files (JSONL): one line per job,
/// `{"custom_id": <hex job key>, "method": "POST", "url": "/v1/chat/completions", "body": <the normal request body>}`.
public enum BatchInputFile {
    /// The `custom_id` of a job: its idempotency key in hex (64 characters).
    public static func customId(_ job: Job) -> String { PromptHash.hex(job.key) }

    /// The endpoint path a line (and the batch) names for `kind`.
    public static func endpoint(_ kind: EndpointKind) -> String {
        kind == .chat ? "/v1/chat/completions" : "/v1/completions"
    }

    /// One line, newline included.
    public static func line(for job: Job) throws -> [UInt8] {
        let body = try RequestEncoder.body(for: job)
        var w = JSONWriter(capacity: body.count + 160)
        w.beginObject()
        w.key("custom_id"); w.string(customId(job))
        w.key("method"); w.string("POST")
        w.key("url"); w.string(endpoint(job.teacher.kind))
        w.key("body"); w.raw(bytes: body)
        w.endObject()
        var bytes = w.bytes
        bytes.append(0x0A)
        return bytes
    }

    /// A file's worth of lines from the front of `jobs`: as many as fit both limits (at least one, or an error).
    /// `line` makes one line (the wire's format; OpenAI's by default).
    public static func pack(_ jobs: [Job], maxRequests: Int, maxBytes: Int,
                            line makeLine: (Job) throws -> [UInt8] = { try line(for: $0) }) throws -> (bytes: [UInt8], jobs: [Job]) {
        var bytes: [UInt8] = []
        var taken: [Job] = []
        for job in jobs.prefix(maxRequests) {
            let line = try makeLine(job)
            if bytes.count + line.count > maxBytes {
                if taken.isEmpty { throw BatchError.lineTooLarge(jobId: job.id, bytes: line.count, limit: maxBytes) }
                break
            }
            bytes += line
            taken.append(job)
        }
        return (bytes, taken)
    }
}
