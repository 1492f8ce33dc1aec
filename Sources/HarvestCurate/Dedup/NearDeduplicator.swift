/// Near-duplicate detection with MinHash over word shingles and LSH banding. Incremental: a batch is checked
/// against an ``LSHIndex`` of everything kept before and within itself; items are visited in ``TextItem/order``
/// (then id), so the first of a group is kept. Just text in, ids out: use it for prompts, responses, or anything else.
public struct NearDeduplicator: Sendable {
    /// The configuration.
    public let config: NearDedupConfig
    /// Signature hasher.
    public let hasher: MinHasher
    /// Shingler.
    public let shingler: WordShingler
    /// Banding chosen from the threshold and weights.
    public let banding: LSHParameters

    /// Validates the configuration and chooses the banding.
    public init(_ config: NearDedupConfig = NearDedupConfig()) throws(CurationError) {
        guard config.shingleSize >= 1 else { throw .parameter("shingle_size", "must be at least 1, got \(config.shingleSize)") }
        self.config = config
        hasher = try MinHasher(numPermutations: config.numPermutations, seed: config.seed)
        shingler = WordShingler(size: config.shingleSize)
        banding = try LSHParameters.optimal(threshold: config.threshold, numPermutations: config.numPermutations,
                                            falsePositiveWeight: config.falsePositiveWeight,
                                            falseNegativeWeight: config.falseNegativeWeight)
    }

    /// An empty index for this configuration.
    public func makeIndex() -> LSHIndex {
        // bands × rows ≤ numPermutations by construction.
        try! LSHIndex(numPermutations: config.numPermutations, parameters: banding)
    }

    /// An index built from stored signatures of kept rows (fails on a signature of the wrong length).
    public func makeIndex(stored: [KeptSignature]) throws(CurationError) -> LSHIndex {
        var index = makeIndex()
        index.reserveCapacity(stored.count)
        for kept in stored {
            guard kept.signature.values.count == config.numPermutations else {
                throw CurationError(.storedData, location: "signature of row \(kept.id)",
                                    "has \(kept.signature.values.count) values, expected \(config.numPermutations)",
                                    hint: "the stored signatures were made with other parameters; recompute them")
            }
            index.insert(id: kept.id, signature: kept.signature)
        }
        return index
    }

    /// The signature of `text` (normalized here), or nil when it has no words.
    public func signature(of text: String) -> MinHashSignature? {
        var scratch = Scratch()
        return signature(of: text, scratch: &scratch)
    }

    func signature(of text: String, scratch: inout Scratch) -> MinHashSignature? {
        let normalized = config.normalizer.normalize(text)
        WordShingler.wordHashes(normalized, into: &scratch.words)
        shingler.shingles(ofWords: scratch.words, into: &scratch.shingles)
        return hasher.signature(shingles: scratch.shingles, scratch: &scratch.reduced)
    }

    /// Signatures of many texts, computed on ``NearDedupConfig/parallelism`` threads (same result on any count).
    public func signatures(of texts: [String]) -> [MinHashSignature?] {
        Parallel.map(texts, width: config.parallelism) { scratch, text in signature(of: text, scratch: &scratch) }
    }

    /// Checks `items` against `index` and each other; kept items are added to `index`.
    /// An item whose id is already indexed with the same signature counts as kept before (no mark, no insert).
    /// Items without words are neither marked nor indexed.
    public func deduplicate(_ items: [TextItem], index: inout LSHIndex) -> NearDedupOutcome {
        let ordered = TextItem.ordered(items)
        let sigs = signatures(of: ordered.map(\.text))
        var outcome = NearDedupOutcome()
        for (item, sig) in zip(ordered, sigs) {
            guard let sig else {
                outcome.skipped.append(item.id)
                continue
            }
            let found = index.lookup(sig, threshold: config.threshold, selfId: item.id)
            if found.containsSelf { continue }  // kept before
            if let match = found.best {
                outcome.duplicates.append(NearDuplicate(id: item.id, matchedId: match.id, jaccard: match.jaccard))
            } else {
                index.insert(id: item.id, signature: sig)
                outcome.kept.append(KeptSignature(id: item.id, signature: sig))
            }
        }
        return outcome
    }
}

/// A row found to be a near duplicate.
public struct NearDuplicate: Sendable, Hashable {
    /// The duplicate row.
    public var id: Int64
    /// The kept row it matches (highest estimated Jaccard, then lowest id).
    public var matchedId: Int64
    /// Estimated Jaccard similarity.
    public var jaccard: Double
}

/// A signature of a kept row, to persist and to rebuild the index from.
public struct KeptSignature: Sendable, Hashable {
    /// Row id.
    public var id: Int64
    /// Its signature.
    public var signature: MinHashSignature

    /// Creates a kept signature.
    public init(id: Int64, signature: MinHashSignature) {
        self.id = id
        self.signature = signature
    }
}

/// What one near-dedup pass found.
public struct NearDedupOutcome: Sendable {
    /// Rows marked as near duplicates, in id order.
    public var duplicates: [NearDuplicate] = []
    /// Newly kept rows with their signatures (now in the index), in id order.
    public var kept: [KeptSignature] = []
    /// Rows without any word (not compared).
    public var skipped: [Int64] = []
}
