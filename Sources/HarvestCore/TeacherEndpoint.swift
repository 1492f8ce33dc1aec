import HarvestCrypto

/// Where and how to ask a teacher.
///
/// `name` is the teacher's identity (part of every job key); `baseURL` is only where it is reached now. They are
/// the same by default; the built-in mock teacher and configured teachers with several replicas keep a stable
/// name while their URL changes, so a re-run does not pay for the same prompts again.
public struct TeacherEndpoint: Sendable, Hashable {
    /// Identity used in job keys (defaults to the base URL).
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
        self.name = name ?? url
        self.model = model
        self.kind = kind
        self.apiKeyEnv = apiKeyEnv
    }

    /// The full request URL for this endpoint kind.
    public var requestURL: String { baseURL + kind.path }
}

/// The idempotency key of a job: SHA-256 over prompt hash, model, teacher name, endpoint kind, canonical sampling
/// parameters and sample index. The same key is never paid for twice.
public enum JobKey {
    /// Computes the 32-byte key.
    public static func make(promptHash: [UInt8], teacher: TeacherEndpoint, params: SamplingParams, sampleIndex: Int) -> [UInt8] {
        var sha = SHA256()
        sha.update("harvest-job-v1\n".utf8)
        sha.update(promptHash)
        sha.update("\n\(teacher.model)\n\(teacher.name)\n\(teacher.kind.rawValue)\n\(params.canonicalJSON)\n\(sampleIndex)".utf8)
        return sha.finalize()
    }
}
