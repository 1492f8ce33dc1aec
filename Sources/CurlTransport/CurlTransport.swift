import CCurl
import HarvestCore

/// An ``HarvestCore/HTTPTransport`` over the libcurl multi interface.
///
/// One dedicated thread drives a single multi handle, so thousands of requests can be in flight
/// without a thread each. Callers suspend on a continuation until their transfer completes.
/// Connections are kept alive and reused across requests through the multi handle's connection
/// cache, and easy handles are recycled from a free-list.
///
/// Cancelling the awaiting task throws `CancellationError` at once and drops the transfer.
/// Call ``shutdown()`` (or release the transport) to stop the thread; unfinished requests then
/// fail with ``HarvestCore/TransportError/Kind/cancelled``.
///
/// The transport never logs; request headers (which carry the API key) stay inside curl, and
/// URLs in errors are stripped of user info and query.
public final class CurlTransport: HTTPTransport {
    /// The settings this transport was created with.
    public let configuration: Configuration
    private let loop: CurlEventLoop
    private let lastID = Locked<UInt64>(0)

    /// Initialises libcurl (once per process), creates the multi handle and starts the event thread.
    /// Throws ``HarvestCore/TransportError`` when libcurl cannot be initialised.
    public init(configuration: Configuration = .init()) throws {
        let globalCode = CurlGlobal.initCode
        guard globalCode == CURLE_OK.rawValue else {
            throw TransportError(
                kind: .other, code: Int32(bitPattern: globalCode), message: "curl_global_init failed", url: "")
        }
        self.configuration = configuration
        loop = try CurlEventLoop(configuration: configuration)
    }

    deinit {
        loop.shutdown()
    }

    /// Sends one request and returns the complete response, whatever its status.
    ///
    /// Throws ``HarvestCore/TransportError`` when no response arrived, or `CancellationError`
    /// when the calling task is cancelled.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = lastID.withLock { last in
            last &+= 1
            return last
        }
        let ticket = RequestTicket(id: id, request: request)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if ticket.install(continuation) {
                    loop.submit(ticket)
                }
            }
        } onCancel: {
            if ticket.cancel() {
                loop.cancel(ticket.id)
            }
        }
    }

    /// Stops the event thread and releases every curl handle. Requests still in flight, and any
    /// sent afterwards, fail with ``HarvestCore/TransportError/Kind/cancelled``.
    /// Blocks until the thread has finished; calling it again does nothing.
    public func shutdown() {
        loop.shutdown()
    }
}

/// Process-wide libcurl initialisation, run exactly once.
enum CurlGlobal {
    /// The `CURLcode` of `curl_global_init`, as its raw value.
    static let initCode: UInt32 = curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue
}
