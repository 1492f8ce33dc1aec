import HarvestCore
import HarvestJSON

/// Drops degenerate, looping answers: the fraction of repeated word n-grams in the content is above
/// ``maxFraction``. With T word n-grams of which D are distinct, the repeated fraction is (T − D) / T: the share
/// of n-grams that repeat an earlier one (0 for text without repeats, → 1 for a loop). Words come from the content
/// case-folded with punctuation stripped. Defaults: n = 3, 0.3, and only content with at least 10 n-grams is
/// judged.
public struct RepetitionFilter: ResponseFilter {
    /// Words per n-gram.
    public var n: Int
    /// Largest allowed repeated fraction.
    public var maxFraction: Double
    /// Content with fewer n-grams passes unjudged.
    public var minNgrams: Int

    /// Creates the filter.
    public init(n: Int = 3, maxFraction: Double = 0.3, minNgrams: Int = 10) throws(CurationError) {
        guard n >= 1 else { throw .parameter("filter.repetition.n", "must be at least 1, got \(n)") }
        guard (0...1).contains(maxFraction) else {
            throw .parameter("filter.repetition.max_fraction", "must be between 0 and 1, got \(maxFraction)")
        }
        self.n = n
        self.maxFraction = maxFraction
        self.minNgrams = max(1, minNgrams)
    }

    /// `filter.repetition`.
    public var stage: String { CurationStage.repetition }

    /// n, max fraction, min n-grams.
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [("max_fraction", .number(maxFraction)), ("min_ngrams", .number(Double(minNgrams))),
                                              ("n", .number(Double(n)))])
    }

    /// The repeated fraction of `text` and its n-gram count (nil when it has fewer than n words).
    public func repeatedFraction(_ text: String) -> (fraction: Double, ngrams: Int)? {
        var words = [UInt64]()
        WordShingler.wordHashes(TextNormalizer(stripPunctuation: true).normalize(text), into: &words)
        guard words.count >= n else { return nil }
        let total = words.count - n + 1
        var seen = Set<UInt64>(minimumCapacity: total)
        words.withUnsafeBufferPointer { w in
            for i in 0..<total { seen.insert(WordShingler.gramHash(w, i, n)) }
        }
        return (Double(total - seen.count) / Double(total), total)
    }

    /// Marks content whose repeated fraction is above the limit.
    public func check(_ response: StoredResponse) -> CurationMark? {
        guard let r = repeatedFraction(response.choice.content), r.ngrams >= minNgrams, r.fraction > maxFraction else { return nil }
        return mark(response, "\(Num.text(r.fraction * 100))% of word \(n)-grams are repeats, above \(Num.text(maxFraction * 100))%",
                    [("repeated_fraction", .number(r.fraction)), ("ngrams", .number(Double(r.ngrams))), ("n", .number(Double(n))),
                     ("max_fraction", .number(maxFraction))])
    }
}
