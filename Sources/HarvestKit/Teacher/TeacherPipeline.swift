import CurlTransport
import Foundation
import HarvestCore
import Logging
import Synchronization

/// The one place a teacher's request path is assembled: from a ``TeacherSpec`` it builds the transport
/// (libcurl), the ``TeacherClient`` (key, timeouts, size cap, raw bodies), the ``TrafficController`` (window,
/// rpm/tpm/rps buckets, x-ratelimit pauses, replicas with breakers) and the ``SweepRunner`` (retries, fail-fast).
/// `harvest sweep --run`, `harvest serve` (one pipeline per teacher, shared by all its runs), `harvest demo` and
/// the benchmark all go through it, so a traffic rule added here applies everywhere.
///
/// ```swift
/// let pipeline = try TeacherPipeline(spec: spec)
/// defer { pipeline.shutdown() }
/// let outcome = try await pipeline.runner(store: store).run(sweepId: id)
/// ```
public final class TeacherPipeline: Sendable {
    /// The HTTP transport all requests of this teacher share (warm connections across runs).
    public let transport: any HTTPTransport
    /// The admission gate of this teacher, shared by every runner the pipeline builds.
    public let traffic: TrafficController
    /// Size of the transport's connection cache (it does not cap simultaneous connections: a window raised
    /// live above half of it only keeps fewer idle connections warm).
    public let connections: Int
    private let owned: CurlTransport?
    private let environment: [String: String]
    private let current: Mutex<TeacherSpec>

    /// Builds the pipeline of `spec`. `endpoints` overrides the replicas traffic is spread over (the ones that
    /// answered a probe); `transport` replaces libcurl (tests). The API key is read from `environment` by the
    /// variable name in the spec; it is never logged or stored.
    public init(spec: TeacherSpec, endpoints: [String]? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                transport: (any HTTPTransport)? = nil, clock: any TrafficClock = MonotonicTrafficClock()) throws {
        connections = Self.connections(for: spec)
        if let transport {
            self.transport = transport
            owned = nil
        } else {
            let curl = try CurlTransport(configuration: .init(maxConnections: connections))
            self.transport = curl
            owned = curl
        }
        self.environment = environment
        var options = spec.traffic
        if let endpoints { options.endpoints = endpoints }
        traffic = TrafficController(options: options, clock: clock)
        current = Mutex(spec)
    }

    /// Connection cache size for a spec: two per request in flight, at least 16.
    public static func connections(for spec: TeacherSpec) -> Int { max(16, spec.limits.maxInFlight * 2) }

    /// The spec in effect.
    public var spec: TeacherSpec { current.withLock { $0 } }

    /// Applies a changed spec: limits, replicas and breaker policy take effect at once for every runner
    /// (in-flight requests keep their slots); client settings (key, timeouts, size cap) apply to clients and
    /// runners built afterwards.
    public func update(_ spec: TeacherSpec) {
        current.withLock { $0 = spec }
        traffic.update(options: spec.traffic)
    }

    /// True when `spec` can be applied to this pipeline by ``update(_:)``; false when it needs a new one
    /// (another identity, model or endpoint kind).
    public func canApply(_ spec: TeacherSpec) -> Bool {
        let now = self.spec
        return spec.name == now.name && spec.model == now.model && spec.endpoint == now.endpoint
    }

    /// A client with the current spec's key, timeouts, size cap and raw-body setting.
    public func client() -> TeacherClient {
        let spec = self.spec
        let apiKey = spec.apiKeyEnv.flatMap { environment[$0] }
        var client = TeacherClient(transport: transport, apiKey: apiKey, timeouts: spec.timeouts, maxResponseBytes: spec.maxResponseBytes,
                                   keepRaw: spec.keepRaw)
        client.server = spec.server
        return client
    }

    /// The teacher's batch API (`batch_wire`: `/v1/files` + `/v1/batches`, or Anthropic's Message Batches, at the
    /// first base URL) over this pipeline's transport, with the current key; uploads and downloads get at least 600 s.
    public func batchClient() -> any BatchAPI {
        let spec = self.spec
        return spec.batch.wire.client(transport: transport, baseURL: spec.baseURLs[0], apiKey: spec.apiKeyEnv.flatMap { environment[$0] },
                                      timeouts: HTTPTimeouts(connect: spec.connectTimeout, total: max(600, spec.totalTimeout)))
    }

    /// A runner over `store` through this pipeline's client and traffic controller. Attempts per job and the
    /// fail-fast rules come from the spec; lease owner and length, rescue file, prefetch and backoff delays
    /// from `session`. `decorate` wraps the client (the daemon counts requests for its metrics).
    public func runner(store: any JobStore, session: SweepOptions = SweepOptions(), stop: StopSignal = StopSignal(),
                       logger: Logger = Logger(label: "harvest.sweep"),
                       decorate: (any TeacherCalling) -> any TeacherCalling = { $0 }) -> SweepRunner {
        let spec = self.spec
        var options = session
        options.concurrency = spec.limits.maxInFlight
        options.retry.maxAttempts = spec.maxAttempts
        options.failFast = spec.failFast
        return SweepRunner(store: store, client: decorate(client()), options: options, stop: stop, logger: logger, traffic: traffic)
    }

    /// Closes the transport the pipeline created (not one passed in). Call when no request is in flight.
    public func shutdown() { owned?.shutdown() }
}
