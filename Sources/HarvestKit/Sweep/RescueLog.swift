import Foundation
import HarvestCore
import HarvestJSON
import Synchronization

/// Last line of defence for paid answers: when the database refuses a response, it is appended here as one
/// JSON line (job key, content, reasoning, usage, logprobs) and flushed, so it can be recovered by hand.
final class RescueLog: Sendable {
    let path: String
    private let lock = Mutex(())

    init(path: String) {
        self.path = path
    }

    func append(job: Job, record: ResponseRecord) {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("job_key"); w.string(PromptHash.hex(job.key))
        w.key("job_id"); w.int(Int(job.id))
        w.key("model"); w.string(job.teacher.model)
        w.key("base_url"); w.string(job.teacher.publicBaseURL)
        w.key("params"); w.raw(job.params.canonicalJSON)
        w.key("sample_index"); w.int(job.sampleIndex)
        w.key("messages"); ChatMessage.write(job.messages, to: &w)
        w.key("content"); w.string(record.choice.content)
        w.key("reasoning"); w.stringOrNull(record.choice.reasoning)
        w.key("finish_reason"); w.stringOrNull(record.choice.finishReason)
        w.key("received_at"); w.double(record.receivedAt)
        if let usage = record.usage {
            w.key("usage")
            w.beginObject()
            if let p = usage.promptTokens { w.key("prompt_tokens"); w.int(p) }
            if let c = usage.completionTokens { w.key("completion_tokens"); w.int(c) }
            w.endObject()
        }
        if let blob = record.choice.logprobsBlob {
            w.key("logprobs_hlp1_base64")
            w.string(Data(blob).base64EncodedString())
        }
        w.endObject()
        w.bytes.append(0x0A)
        lock.withLock { _ in
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard fd >= 0 else { return }
            defer { close(fd) }
            w.bytes.withUnsafeBytes { p in _ = write(fd, p.baseAddress, p.count) }
            fsync(fd)
        }
    }
}
