/// The stored verdict of one answer (table `verifications`); a `wrong` or `no_answer` verdict is also the answer's
/// mark of stage `verify`.
public struct VerificationRecord: Sendable, Hashable {
    /// The curation stage name of verification (its progress row and its marks).
    public static let stage = "verify"

    /// `responses.id`.
    public var responseId: Int64
    /// `correct`, `wrong`, `unverifiable` or `no_answer`.
    public var verdict: String
    /// The extracted final answer, nil when none.
    public var extracted: String?
    /// The extraction rule (`boxed`, `final_answer`, ...), nil when none.
    public var rule: String?
    /// Why, in one sentence.
    public var reason: String
    /// The verifier kind used.
    public var verifier: String
    /// Fingerprint of the verify stage's parameters (not stored per row: read from the set's `verify` progress, under
    /// which every verdict of the set was written).
    public var paramsFingerprint: String

    /// Creates a record.
    public init(responseId: Int64, verdict: String, extracted: String?, rule: String?, reason: String, verifier: String,
                paramsFingerprint: String) {
        self.responseId = responseId
        self.verdict = verdict
        self.extracted = extracted
        self.rule = rule
        self.reason = reason
        self.verifier = verifier
        self.paramsFingerprint = paramsFingerprint
    }
}

/// One answer to verify: the content and its prompt's reference in the set.
public struct VerificationInput: Sendable, Hashable {
    /// `responses.id`.
    public var responseId: Int64
    /// The prompt answered.
    public var promptId: Int64
    /// The response's content (the reasoning field is not read).
    public var content: String
    /// The prompt's reference answer in the set, nil when none.
    public var reference: String?
    /// The prompt's verifier kind in the set, nil when it names none.
    public var verifier: String?

    /// Creates an input.
    public init(responseId: Int64, promptId: Int64, content: String, reference: String?, verifier: String?) {
        self.responseId = responseId
        self.promptId = promptId
        self.content = content
        self.reference = reference
        self.verifier = verifier
    }
}

/// Verdict counts along one dimension (a teacher, a sample index, or the whole set).
public struct VerdictCounts: Sendable, Hashable {
    /// The teacher name, the sample index as text, or `all`.
    public var key: String
    /// Count per verdict (`correct`, `wrong`, `unverifiable`, `no_answer`).
    public var counts: [String: Int]

    /// Creates counts.
    public init(key: String, counts: [String: Int]) {
        self.key = key
        self.counts = counts
    }

    /// correct / (correct + wrong): accuracy over the answers that could be judged; nil when none could.
    public var accuracy: Double? {
        let c = counts["correct", default: 0], w = counts["wrong", default: 0] + counts["no_answer", default: 0]
        return c + w == 0 ? nil : Double(c) / Double(c + w)
    }
}
