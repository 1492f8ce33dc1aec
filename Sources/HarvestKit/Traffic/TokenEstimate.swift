import HarvestCore

/// The token cost of a request before it is sent, for the tokens-per-minute bucket: prompt characters / 4
/// (UTF-8 bytes, a common rule of thumb for English text) plus 4 per message, plus `max_tokens` (or
/// ``defaultMaxTokens`` when unset). The answer's `usage` corrects the bucket afterwards.
public enum TokenEstimate {
    /// Assumed output tokens when a job sets no `max_tokens`.
    public static let defaultMaxTokens = 1024

    /// Estimated prompt plus completion tokens of one request for `job`.
    public static func tokens(for job: Job) -> Int {
        var bytes = 0
        for message in job.messages { bytes += message.content.utf8.count }
        return bytes / 4 + 4 * job.messages.count + (job.params.maxTokens ?? defaultMaxTokens)
    }
}
