import ArgumentParser
import HarvestKit

/// `harvest sweep SET --run --via batch` and its settings.
struct BatchFlags: ParsableArguments {
    /// How `--run` sends the jobs.
    enum Via: String, ExpressibleByArgument, CaseIterable {
        /// One request per job (the default).
        case requests
        /// The teacher's OpenAI-style batch API (`/v1/files` + `/v1/batches`): half price, results within 24 h.
        case batch
    }

    @Option(help: "How --run sends jobs: requests (one HTTP request each) or batch (the teacher's /v1/batches API, at batch price).")
    var via: Via = .requests

    @Option(help: "Batch mode: lines per input file at most (batch_max_requests; default 50000, OpenAI's limit).")
    var batchMaxRequests: Int?

    @Option(help: "Batch mode: megabytes (10^6 bytes) per input file at most (batch_max_mb; default 200, OpenAI's limit).")
    var batchMaxMb: Int?

    @Option(help: "Batch mode: multiplier on the teacher's prices for batch answers (batch_price_factor; default 0.5).")
    var batchPriceFactor: Double?

    @Option(help: "Batch mode: first poll interval in seconds, growing ×1.5 up to 60 s while nothing changes (batch_poll_seconds; default 5).")
    var batchPollSeconds: Double?

    @Option(help: "Batch mode: submission rounds per run, each resubmitting only lines that failed or expired (batch_rounds; default 3).")
    var batchRounds: Int?

    @Option(help: "Batch mode: the provider's batch API, openai (/v1/files + /v1/batches) or anthropic (Message Batches) (batch_wire; default openai).")
    var batchWire: BatchWire?

    /// True when a batch-only flag was given.
    var hasBatchSettings: Bool {
        batchMaxRequests != nil || batchMaxMb != nil || batchPriceFactor != nil || batchPollSeconds != nil || batchRounds != nil
            || batchWire != nil
    }

    func validate() throws {
        if hasBatchSettings, via != .batch { throw ValidationError("--batch-* flags apply to --via batch only") }
        if let v = batchMaxRequests, v < 1 { throw ValidationError("--batch-max-requests must be at least 1") }
        if let v = batchMaxMb, v < 1 || v > 100_000 { throw ValidationError("--batch-max-mb must be 1…100000") }
        if let v = batchPriceFactor, !(v >= 0) { throw ValidationError("--batch-price-factor must be 0 or more") }
        if let v = batchPollSeconds, !(v > 0) { throw ValidationError("--batch-poll-seconds must be more than 0") }
        if let v = batchRounds, v < 1 { throw ValidationError("--batch-rounds must be at least 1") }
    }

    /// The settings these flags describe over `base` (the teacher's `batch_*` config keys, or the defaults).
    func settings(over base: BatchSettings) -> BatchSettings {
        var s = base
        if let v = batchMaxRequests { s.maxRequestsPerFile = v }
        if let v = batchMaxMb { s.maxBytesPerFile = v * 1_000_000 }
        if let v = batchPriceFactor { s.priceFactor = v }
        if let v = batchPollSeconds {
            s.pollSeconds = v
            s.maxPollSeconds = max(60, v)
        }
        if let v = batchRounds { s.maxRounds = v }
        if let v = batchWire { s.wire = v }
        return s
    }
}

extension BatchWire: ExpressibleByArgument {}
