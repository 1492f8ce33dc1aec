/// Splits normalized text into words (runs of bytes between ASCII whitespace) and hashes word n-grams
/// ("shingles"). Each word is hashed once with ``FastHash``; an n-gram's hash combines its words' hashes in order.
/// Text with fewer than `size` words (but at least one) gives a single shingle of all its words.
public struct WordShingler: Sendable, Hashable {
    /// Words per shingle.
    public var size: Int

    /// Seed of word hashes.
    static let wordSeed: UInt64 = 0x1234_5678_9abc_def1
    /// Seed of n-gram combination.
    static let gramSeed: UInt64 = 0x0f1e_2d3c_4b5a_6978

    /// Creates a shingler of `size`-word shingles (at least 1).
    public init(size: Int) {
        precondition(size >= 1, "shingle size must be at least 1")
        self.size = size
    }

    /// Byte ranges of the words of `text`.
    public static func wordRanges(_ text: String) -> [Range<Int>] {
        var text = text
        var out = [Range<Int>]()
        text.withUTF8 { buf in forEachWord(buf) { out.append($0..<$1) } }
        return out
    }

    /// Calls `body(start, end)` for each word (maximal run of non-whitespace bytes).
    @inline(__always)
    static func forEachWord(_ buf: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        var i = 0
        let n = buf.count
        while i < n {
            while i < n, TextNormalizer.isASCIISpace(buf[i]) { i += 1 }
            if i == n { break }
            let start = i
            while i < n, !TextNormalizer.isASCIISpace(buf[i]) { i += 1 }
            body(start, i)
        }
    }

    /// Appends the hash of each word of `text` to `out` (cleared first).
    public static func wordHashes(_ text: String, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        var text = text
        text.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            forEachWord(buf) { start, end in
                out.append(FastHash.hash(UnsafeRawPointer(base + start), count: end - start, seed: wordSeed))
            }
        }
    }

    /// The hash of the n-gram of words `words[start..<start+count]`.
    @inline(__always)
    static func gramHash(_ words: UnsafeBufferPointer<UInt64>, _ start: Int, _ count: Int) -> UInt64 {
        var h = gramSeed ^ UInt64(count)
        for j in start..<(start + count) { h = FastHash.combine(h, words[j]) }
        return h
    }

    /// Shingle hashes from word hashes, into `out` (cleared first).
    public func shingles(ofWords words: [UInt64], into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        guard !words.isEmpty else { return }
        words.withUnsafeBufferPointer { w in
            if w.count <= size {
                out.append(Self.gramHash(w, 0, w.count))
                return
            }
            for i in 0...(w.count - size) { out.append(Self.gramHash(w, i, size)) }
        }
    }

    /// Shingle hashes of normalized text.
    public func shingles(of text: String) -> [UInt64] {
        var words = [UInt64]()
        var out = [UInt64]()
        Self.wordHashes(text, into: &words)
        shingles(ofWords: words, into: &out)
        return out
    }
}
