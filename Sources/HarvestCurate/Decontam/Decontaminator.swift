import HarvestJSON

/// Finds prompts that share a word n-gram with an eval set (default n = 8 as in s1; 13 as in lm-eval's
/// decontamination is a common alternative). Eval items and prompts are normalized the same way (default:
/// case-folded, punctuation stripped) and their n-grams hashed to 64 bits. Items with fewer than n words
/// contribute no n-gram and are counted in ``EvalSetSummary/shortItems``.
public struct Decontaminator: Sendable {
    /// Words per n-gram.
    public let n: Int
    /// Normalization of eval items and prompts.
    public let normalizer: TextNormalizer
    /// The eval sets loaded, in order.
    public private(set) var evalSets: [EvalSetSummary] = []
    /// n-gram hash → eval set index (high 32 bits) and line (low 32 bits) of its first occurrence.
    private var grams: [UInt64: UInt64] = [:]

    /// Creates an empty decontaminator.
    public init(n: Int = 8, normalizer: TextNormalizer = TextNormalizer(stripPunctuation: true)) throws(CurationError) {
        guard n >= 1 else { throw .parameter("decontam.n", "n-gram size must be at least 1, got \(n)") }
        self.n = n
        self.normalizer = normalizer
    }

    /// Loads every source first (all-or-nothing: the first problem is thrown before anything is used), then indexes them.
    public static func load(_ sources: [EvalSetSource], n: Int = 8,
                            normalizer: TextNormalizer = TextNormalizer(stripPunctuation: true)) throws(CurationError) -> Decontaminator {
        var d = try Decontaminator(n: n, normalizer: normalizer)
        var sets = [EvalSet]()
        for source in sources { sets.append(try EvalSet.load(source)) }
        for set in sets { d.add(set) }
        return d
    }

    /// Indexes the n-grams of an eval set.
    public mutating func add(_ set: EvalSet) {
        let setIndex = UInt64(evalSets.count)
        var ngrams = 0
        var short = 0
        var words = [UInt64]()
        for item in set.items {
            WordShingler.wordHashes(normalizer.normalize(item.text), into: &words)
            guard words.count >= n else {
                short += 1
                continue
            }
            words.withUnsafeBufferPointer { w in
                for i in 0...(w.count - n) {
                    let h = WordShingler.gramHash(w, i, n)
                    if grams[h] == nil {
                        grams[h] = setIndex << 32 | UInt64(UInt32(clamping: item.line))
                        ngrams += 1
                    }
                }
            }
        }
        evalSets.append(EvalSetSummary(name: set.name, path: set.path, items: set.items.count, ngrams: ngrams,
                                       shortItems: short, contentHash: set.contentHash))
    }

    /// The first n-gram of `text` found in an eval set, or nil.
    public func check(_ text: String) -> ContaminationHit? {
        guard !grams.isEmpty else { return nil }
        let normalized = normalizer.normalize(text)
        var words = [UInt64]()
        WordShingler.wordHashes(normalized, into: &words)
        guard words.count >= n else { return nil }
        let hit: (Int, UInt64)? = words.withUnsafeBufferPointer { w in
            for i in 0...(w.count - n) {
                if let origin = grams[WordShingler.gramHash(w, i, n)] { return (i, origin) }
            }
            return nil
        }
        guard let (offset, origin) = hit else { return nil }
        let ranges = WordShingler.wordRanges(normalized)
        let utf8 = Array(normalized.utf8)
        let ngram = String(decoding: utf8[ranges[offset].lowerBound..<ranges[offset + n - 1].upperBound], as: UTF8.self)
        let set = evalSets[Int(origin >> 32)]
        return ContaminationHit(evalSet: set.name, evalLine: Int(origin & 0xffff_ffff), ngram: ngram, wordOffset: offset)
    }

    /// Canonical parameters of the stage (n, normalizer, and each eval set's name and content hash).
    public var params: CurationParams {
        CurationParams(stage: CurationStage.decontam, fields: [
            ("eval_sets", .array(evalSets.map { .object([("hash", .string($0.contentHash.hex)), ("name", .string($0.name))]) })),
            ("hash", .string(FastHash.version)), ("n", .number(Double(n))), ("normalizer", normalizer.paramsValue),
        ])
    }
}

/// What was indexed from one eval set.
public struct EvalSetSummary: Sendable, Hashable {
    /// Name reported in marks.
    public var name: String
    /// File path.
    public var path: String
    /// Items read.
    public var items: Int
    /// Distinct n-grams added.
    public var ngrams: Int
    /// Items shorter than n words (not indexed).
    public var shortItems: Int
    /// Hash of the file's bytes.
    public var contentHash: ContentHash
}

/// A prompt n-gram found in an eval set.
public struct ContaminationHit: Sendable, Hashable {
    /// Eval set name.
    public var evalSet: String
    /// 1-based line of the eval item where the n-gram was first seen.
    public var evalLine: Int
    /// The shared n-gram, as normalized text.
    public var ngram: String
    /// Index of its first word in the normalized prompt.
    public var wordOffset: Int

    /// Creates a hit.
    public init(evalSet: String, evalLine: Int, ngram: String, wordOffset: Int) {
        self.evalSet = evalSet
        self.evalLine = evalLine
        self.ngram = ngram
        self.wordOffset = wordOffset
    }
}
