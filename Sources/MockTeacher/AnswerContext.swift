/// What identifies one answer: derived from the request fingerprint, so identical requests get
/// byte-identical responses (including `id` and `created`).
struct AnswerContext {
    /// Hex SHA-256 request fingerprint.
    let fingerprint: String
    /// Seed of all token draws.
    let seed: UInt64
    /// The model name echoed in the response.
    let model: String
    /// Probability of an early stop per choice.
    let earlyStopRate: Double

    /// Response `id` suffix: the first 24 fingerprint digits.
    var idSuffix: Substring { fingerprint.prefix(24) }

    /// A deterministic `created` timestamp (in late 2023 – 2026).
    var created: Int { 1_700_000_000 + Int(seed % 80_000_000) }
}
