import HarvestJSON

/// Parameters of exact deduplication. Default: case-folded, whitespace-collapsed text (punctuation kept), both
/// prompts and responses.
public struct ExactDedupConfig: Sendable, Hashable {
    /// Normalization before hashing.
    public var normalizer: TextNormalizer
    /// What is compared.
    public var target: DedupTarget

    /// Creates a configuration.
    public init(normalizer: TextNormalizer = TextNormalizer(), target: DedupTarget = .both) {
        self.normalizer = normalizer
        self.target = target
    }

    /// Canonical parameters of the stage.
    public var params: CurationParams {
        CurationParams(stage: CurationStage.exactDedup, fields: [
            ("hash", .string(FastHash.version + "x2")), ("normalizer", normalizer.paramsValue),
            ("target", .string(target.rawValue)),
        ])
    }
}

/// Exact deduplication on the 128-bit ``ContentHash`` of normalized text. Incremental: it holds the hashes kept
/// before (hash → id of the row that owns it) and adds the rows it keeps.
public struct ExactDeduplicator: Sendable {
    /// Normalization before hashing.
    public let normalizer: TextNormalizer
    /// Kept hashes and the id that owns each.
    public private(set) var kept: [ContentHash: Int64]

    /// Creates a deduplicator that knows the hashes kept before.
    public init(normalizer: TextNormalizer = TextNormalizer(), kept: [KeptHash] = []) {
        self.normalizer = normalizer
        var map = [ContentHash: Int64](minimumCapacity: kept.count)
        for k in kept where map[k.hash] == nil { map[k.hash] = k.id }
        self.kept = map
    }

    /// The hash of `text` after normalization.
    public func hash(_ text: String) -> ContentHash {
        ContentHash(of: normalizer.normalize(text))
    }

    /// Checks `items` (visited in ``TextItem/order``) against the kept hashes and each other, and keeps the
    /// first of each group. An item whose hash is already owned by its own id counts as kept before.
    public mutating func deduplicate(_ items: [TextItem], parallelism: Int? = nil) -> ExactDedupOutcome {
        let ordered = TextItem.ordered(items)
        let normalizer = normalizer
        let hashes = Parallel.map(ordered, width: parallelism ?? Parallel.defaultWidth) { _, item in ContentHash(of: normalizer.normalize(item.text)) }
        var outcome = ExactDedupOutcome()
        for (item, h) in zip(ordered, hashes) {
            if let owner = kept[h] {
                if owner != item.id { outcome.duplicates.append(ExactDuplicate(id: item.id, matchedId: owner, hash: h)) }
            } else {
                kept[h] = item.id
                outcome.kept.append(KeptHash(id: item.id, hash: h))
            }
        }
        return outcome
    }
}

/// A hash of a kept row, to persist and to reload with ``ExactDeduplicator/init(normalizer:kept:)``.
public struct KeptHash: Sendable, Hashable {
    /// Row id (response id, or prompt id for prompts).
    public var id: Int64
    /// Hash of its normalized text.
    public var hash: ContentHash

    /// Creates a kept hash.
    public init(id: Int64, hash: ContentHash) {
        self.id = id
        self.hash = hash
    }
}

/// A row whose normalized text equals a kept row's.
public struct ExactDuplicate: Sendable, Hashable {
    /// The duplicate row.
    public var id: Int64
    /// The kept row with the same hash.
    public var matchedId: Int64
    /// The shared hash.
    public var hash: ContentHash
}

/// What one exact-dedup pass found.
public struct ExactDedupOutcome: Sendable {
    /// Duplicates, in visiting order.
    public var duplicates: [ExactDuplicate] = []
    /// Newly kept rows with their hashes, in visiting order.
    public var kept: [KeptHash] = []
}
