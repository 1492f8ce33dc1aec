import HarvestCore

/// Why a batch operation failed, printed for people: what, where, what to do.
public enum BatchError: Error, Sendable, CustomStringConvertible {
    /// The provider answered with a non-2xx status.
    case http(status: Int, message: String, url: String)
    /// No response (connect, timeout, reset).
    case transport(TransportError)
    /// A 2xx body that is not what the batch API sends.
    case malformed(url: String, detail: String)
    /// The provider does not know a batch harvest recorded as submitted.
    case unknownBatch(id: String, url: String)
    /// One job does not fit in an input file under the configured byte limit.
    case lineTooLarge(jobId: Int64, bytes: Int, limit: Int)
    /// An open batch was sent through another batch API than the one configured now.
    case wireChanged(batchId: Int64, recorded: String, configured: String)
    /// Another process (a `harvest serve` daemon or another `sweep --via batch`) works this sweep's batches now.
    case sweepBusy(sweepId: Int64)

    /// Worth asking again later: no response, 429 or 5xx.
    public var isTransient: Bool {
        switch self {
        case .transport: true
        case .http(let status, _, _): status == 429 || status >= 500
        default: false
        }
    }

    /// One line for people.
    public var description: String {
        switch self {
        case .http(let status, let message, let url):
            "batch API \(url) answered HTTP \(status): \(message)"
        case .transport(let error):
            "batch API: \(error)"
        case .malformed(let url, let detail):
            "batch API \(url) sent an unexpected body: \(detail)"
        case .unknownBatch(let id, let url):
            "batch \(id) is unknown to \(url) (was it created with another key or teacher?); its jobs stay leased to it — check the provider's dashboard"
        case .lineTooLarge(let jobId, let bytes, let limit):
            "job \(jobId) needs a \(bytes)-byte batch line, more than the \(limit)-byte file limit; raise --batch-max-mb"
        case .wireChanged(let batchId, let recorded, let configured):
            "batch \(batchId) was sent through the \(recorded) batch API but batch_wire is now \(configured); set it back to \(recorded) until the batch is collected"
        case .sweepBusy(let sweepId):
            "the batches of sweep \(sweepId) are being worked by another process (a harvest serve daemon or another sweep --via batch on this database); it submits and collects them — wait for it, or stop it and run this command again"
        }
    }
}
