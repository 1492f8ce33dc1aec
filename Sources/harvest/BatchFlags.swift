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

    @Option(help: "Batch mode: lines per input file at most (OpenAI: 50000).")
    var batchMaxRequests: Int = 50_000

    @Option(help: "Batch mode: megabytes (10^6 bytes) per input file at most (OpenAI: 200).")
    var batchMaxMb: Int = 200

    @Option(help: "Batch mode: multiplier on the teacher's prices for batch answers (OpenAI: 0.5).")
    var batchPriceFactor: Double = 0.5

    @Option(help: "Batch mode: first poll interval in seconds (grows ×1.5 up to 60 s while nothing changes).")
    var batchPollSeconds: Double = 5

    @Option(help: "Batch mode: submission rounds per run (each resubmits only lines that failed or expired).")
    var batchRounds: Int = 3

    /// True when a batch-only flag was given.
    var hasBatchSettings: Bool {
        batchMaxRequests != 50_000 || batchMaxMb != 200 || batchPriceFactor != 0.5 || batchPollSeconds != 5 || batchRounds != 3
    }

    func validate() throws {
        if hasBatchSettings, via != .batch { throw ValidationError("--batch-* flags apply to --via batch only") }
        if batchMaxRequests < 1 { throw ValidationError("--batch-max-requests must be at least 1") }
        if batchMaxMb < 1 { throw ValidationError("--batch-max-mb must be at least 1") }
        if !(batchPriceFactor >= 0) { throw ValidationError("--batch-price-factor must be 0 or more") }
        if !(batchPollSeconds > 0) { throw ValidationError("--batch-poll-seconds must be more than 0") }
        if batchRounds < 1 { throw ValidationError("--batch-rounds must be at least 1") }
    }

    /// The settings these flags describe.
    var settings: BatchSettings {
        BatchSettings(maxRequestsPerFile: batchMaxRequests, maxBytesPerFile: batchMaxMb * 1_000_000, priceFactor: batchPriceFactor,
                      pollSeconds: batchPollSeconds, maxPollSeconds: max(60, batchPollSeconds), maxRounds: batchRounds)
    }
}
