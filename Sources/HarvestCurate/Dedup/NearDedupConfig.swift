import HarvestJSON

/// Parameters of near-duplicate detection. Defaults: punctuation-stripping normalizer, 5-word shingles,
/// 128 permutations, Jaccard threshold 0.8, LSH weights 0.2 / 0.8 (false positive / false negative) giving
/// 12 bands × 10 rows, permutation seed 1, prompts and responses.
///
/// The weights favour recall over datasketch's 0.5 / 0.5 (9 × 13): candidates are verified against the full
/// signature, so a false positive of the banding costs one 128-value comparison, while a false negative is a
/// missed duplicate (9 × 13 finds only 69 % of pairs at Jaccard 0.85; 12 × 10 finds 93 %).
public struct NearDedupConfig: Sendable, Hashable {
    /// Normalization before shingling.
    public var normalizer: TextNormalizer
    /// Words per shingle.
    public var shingleSize: Int
    /// Signature length.
    public var numPermutations: Int
    /// Estimated Jaccard at or above which a row is a near duplicate.
    public var threshold: Double
    /// Weight of the false-positive integral when choosing the banding.
    public var falsePositiveWeight: Double
    /// Weight of the false-negative integral when choosing the banding.
    public var falseNegativeWeight: Double
    /// Seed of the permutation parameters.
    public var seed: UInt64
    /// What the pipeline compares (the deduplicator itself just takes text).
    public var target: DedupTarget
    /// Threads used to compute signatures (not part of the parameters: results do not depend on it).
    public var parallelism: Int

    /// Creates a configuration.
    public init(normalizer: TextNormalizer = TextNormalizer(stripPunctuation: true), shingleSize: Int = 5,
                numPermutations: Int = 128, threshold: Double = 0.8, falsePositiveWeight: Double = 0.2,
                falseNegativeWeight: Double = 0.8, seed: UInt64 = 1, target: DedupTarget = .both,
                parallelism: Int? = nil) {
        self.normalizer = normalizer
        self.shingleSize = shingleSize
        self.numPermutations = numPermutations
        self.threshold = threshold
        self.falsePositiveWeight = falsePositiveWeight
        self.falseNegativeWeight = falseNegativeWeight
        self.seed = seed
        self.target = target
        self.parallelism = parallelism ?? Parallel.defaultWidth
    }

    /// Parameters that determine signatures (a change invalidates stored signatures).
    public var signatureParams: CurationParams {
        CurationParams(stage: CurationStage.nearDedup, fields: [
            ("hash", .string(FastHash.version)), ("normalizer", normalizer.paramsValue),
            ("num_permutations", .number(Double(numPermutations))), ("seed", .number(Double(seed))),
            ("shingle_size", .number(Double(shingleSize))),
        ])
    }

    /// All parameters of the stage (a change invalidates its marks).
    public var params: CurationParams {
        CurationParams(stage: CurationStage.nearDedup, fields: [
            ("hash", .string(FastHash.version)), ("normalizer", normalizer.paramsValue),
            ("num_permutations", .number(Double(numPermutations))), ("seed", .number(Double(seed))),
            ("shingle_size", .number(Double(shingleSize))), ("target", .string(target.rawValue)),
            ("threshold", .number(threshold)),
            ("lsh_weights", .array([.number(falsePositiveWeight), .number(falseNegativeWeight)])),
        ])
    }
}

/// What a dedup stage compares.
public enum DedupTarget: String, Sendable, Hashable, CaseIterable {
    /// Prompt text (rows of a duplicate prompt are marked; rows of the same prompt never duplicate each other).
    case prompt
    /// Response content.
    case response
    /// Both, independently.
    case both

    /// Whether prompts are compared.
    public var includesPrompts: Bool { self != .response }
    /// Whether responses are compared.
    public var includesResponses: Bool { self != .prompt }
}
