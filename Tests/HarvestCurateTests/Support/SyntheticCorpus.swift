import Foundation

/// A deterministic corpus of ~150-word documents over a synthetic vocabulary, with known near duplicates:
/// every `period`-th document is a copy of an earlier one with 1...`maxEdits` word substitutions or deletions. Every document is made
/// from its index alone, so the corpus can be streamed to a file without holding it.
struct SyntheticCorpus {
    /// One document with its ground truth.
    struct Document {
        /// 1-based id (document order).
        var id: Int64
        /// Lower-case words separated by single spaces.
        var text: String
        /// Index of the base document it was made from (its own base index for unrelated documents).
        var cluster: Int
        /// Whether it is an edited copy.
        var isCopy: Bool
    }

    let count: Int
    let copyFraction: Double
    let maxEdits: Int
    let seed: UInt64
    private let vocabulary: [String]
    private let common: [String]

    init(count: Int, copyFraction: Double = 0.2, maxEdits: Int = 2, seed: UInt64 = 42) {
        self.count = count
        self.copyFraction = copyFraction
        self.maxEdits = maxEdits
        self.seed = seed
        var rng = TestRNG(seed: seed)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        vocabulary = (0..<10_000).map { _ in String((0..<(2 + rng.below(9))).map { _ in letters[rng.below(26)] }) }
        common = Array(vocabulary.prefix(100))
    }

    /// Every `period`-th document is a copy.
    var period: Int { max(2, Int((1 / copyFraction).rounded())) }

    /// Words of the base document at position `b`.
    func baseWords(_ b: Int) -> [String] {
        var rng = TestRNG(seed: seed &* 0x9e37_79b9_7f4a_7c15 &+ UInt64(b))
        let length = 120 + rng.below(61)
        return (0..<length).map { _ in rng.below(10) < 3 ? common[rng.below(common.count)] : vocabulary[rng.below(vocabulary.count)] }
    }

    /// The document at position `i` (0-based). Position i with i % period == period − 1 is an edited copy of an
    /// earlier base document (up to 200 periods back); every other position is a fresh base document.
    func document(_ i: Int) -> Document {
        let p = period
        guard i % p == p - 1 else {
            return Document(id: Int64(i + 1), text: baseWords(i).joined(separator: " "), cluster: i, isCopy: false)
        }
        var rng = TestRNG(seed: seed ^ 0x5bd1_e995 &+ UInt64(i) &* 31)
        let lag = rng.below(200)
        let source = i - 1 - p * lag >= 0 ? i - 1 - p * lag : i - 1
        var words = baseWords(source)
        let edits = 1 + rng.below(maxEdits)
        for _ in 0..<edits {
            let at = rng.below(words.count)
            if rng.below(2) == 0 { words[at] = vocabulary[rng.below(vocabulary.count)] } else { words.remove(at: at) }
        }
        return Document(id: Int64(i + 1), text: words.joined(separator: " "), cluster: source, isCopy: true)
    }

    /// Writes all documents, one per line, to `path`.
    func write(to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var buffer = [UInt8]()
        for i in 0..<count {
            buffer.append(contentsOf: document(i).text.utf8)
            buffer.append(0x0A)
            if buffer.count > 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
    }
}

/// SplitMix64 for tests.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
