import HarvestCrypto

/// Where and how to ask a teacher.
///
/// `name` is the teacher's identity (part of every job key); `baseURL` is only where it is reached now. The default
/// identity (``TeacherIdentity/defaultName(model:kind:)``) never contains the URL, so a teacher restarted on another
/// port or a new replica does not pay for the same prompts again.
///
/// `baseURL` may carry credentials (user-info, a query key) in memory: they are sent (``requestURL``,
/// ``url(path:)``) but never stored, logged or exported — use ``publicBaseURL`` for anything written anywhere.
public struct TeacherEndpoint: Sendable, Hashable {
    /// Identity used in job keys (defaults to ``TeacherIdentity/defaultName(model:kind:)``).
    public var name: String
    /// Base URL including the version prefix, e.g. `http://127.0.0.1:8000/v1` (no trailing slash).
    public var baseURL: String
    /// `model` field sent with each request.
    public var model: String
    /// Chat or legacy completions.
    public var kind: EndpointKind
    /// Name of the environment variable that holds the bearer key (the key itself is never stored).
    public var apiKeyEnv: String?

    /// Creates an endpoint; trailing slashes on the base URL are removed.
    public init(baseURL: String, model: String, kind: EndpointKind = .chat, apiKeyEnv: String? = nil, name: String? = nil) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.name = name ?? TeacherIdentity.defaultName(model: model, kind: kind)
        self.model = model
        self.kind = kind
        self.apiKeyEnv = apiKeyEnv
    }

    /// The full request URL for this endpoint kind (credentials of the base URL included, query after the path).
    public var requestURL: String { url(path: kind.path) }

    /// The URL for `path` under the base URL (`/models`): user-info kept, the query put after the path.
    public func url(path: String) -> String { TeacherURL(baseURL).requestURL(path: path) }

    /// The base URL without user-info, query or fragment: the only form that is stored, logged or exported.
    public var publicBaseURL: String { TeacherURL.redacted(baseURL) }
}

/// The idempotency key of a job: SHA-256 over prompt hash, model, teacher name, endpoint kind, canonical sampling
/// parameters and sample index. The same key is never paid for twice.
public enum JobKey {
    /// Computes the 32-byte key.
    public static func make(promptHash: [UInt8], teacher: TeacherEndpoint, params: SamplingParams, sampleIndex: Int) -> [UInt8] {
        make(promptHash: promptHash, model: teacher.model, teacherName: teacher.name, kind: teacher.kind,
             canonicalParams: params.canonicalJSON, sampleIndex: sampleIndex)
    }

    /// Computes the 32-byte key from stored values (the canonical parameter JSON as stored in `param_sets`).
    public static func make(promptHash: [UInt8], model: String, teacherName: String, kind: EndpointKind,
                            canonicalParams: String, sampleIndex: Int) -> [UInt8] {
        var sha = SHA256()
        sha.update("harvest-job-v1\n".utf8)
        sha.update(promptHash)
        sha.update("\n\(model)\n\(teacherName)\n\(kind.rawValue)\n\(canonicalParams)\n\(sampleIndex)".utf8)
        return sha.finalize()
    }
}
