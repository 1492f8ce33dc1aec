#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestJSON

/// The mock's token vocabulary: a fixed list of word pieces (including whitespace, punctuation,
/// escapes and multi-byte UTF-8) with every JSON fragment the responders need encoded once,
/// into one flat byte buffer, so writing a token is a `memcpy`.
struct Vocabulary: Sendable {
    /// Where each pre-encoded form of one token lies in ``fragments``.
    struct Spans: Sendable {
        /// Raw UTF-8.
        var utf8: Range<Int>
        /// JSON-escaped UTF-8 without quotes (for building `content` / `text`).
        var escaped: Range<Int>
        /// The JSON string literal, quotes included.
        var quoted: Range<Int>
        /// `{"token":"…","logprob":` (a chat logprob entry up to its value).
        var entryPrefix: Range<Int>
        /// `,"bytes":[…],"top_logprobs":[` (after the chosen token's logprob).
        var chosenSuffix: Range<Int>
        /// `,"bytes":[…]}` (after an alternative's logprob).
        var alternativeSuffix: Range<Int>
        /// `"…":` (a legacy `top_logprobs` key).
        var legacyKey: Range<Int>
        /// The same three with the token written as `token_id:N` (vLLM's `return_tokens_as_token_ids`).
        var idEntryPrefix: Range<Int>
        var idQuoted: Range<Int>
        var idLegacyKey: Range<Int>

        /// `entryPrefix` or its `token_id:N` form.
        @inline(__always) func entryPrefix(ids: Bool) -> Range<Int> { ids ? idEntryPrefix : entryPrefix }
        /// `quoted` or its `token_id:N` form.
        @inline(__always) func quoted(ids: Bool) -> Range<Int> { ids ? idQuoted : quoted }
        /// `legacyKey` or its `token_id:N` form.
        @inline(__always) func legacyKey(ids: Bool) -> Range<Int> { ids ? idLegacyKey : legacyKey }
    }

    /// All pre-encoded bytes.
    let fragments: [UInt8]
    /// Per-token spans into ``fragments``, indexed by token id.
    let spans: [Spans]
    /// Token texts, indexed by token id.
    let texts: [String]
    /// Token lengths in Unicode scalars (for legacy `text_offset`).
    let scalarCounts: [Int]

    /// Builds the vocabulary, its order shuffled deterministically by `seed`.
    init(seed: UInt64) {
        var order = Self.pieces
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x766F_6361_6275_6C61))
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, rng.below(i + 1))
        }
        var bytes: [UInt8] = []
        func add(_ piece: some Sequence<UInt8>) -> Range<Int> {
            let start = bytes.count
            bytes.append(contentsOf: piece)
            return start..<bytes.count
        }
        var spans: [Spans] = []
        for (id, text) in order.enumerated() {
            let idQuoted = Array("\"token_id:\(id)\"".utf8)
            var literal = JSONWriter(capacity: 32)
            literal.string(text)
            let quoted = literal.bytes
            var array = JSONWriter(capacity: 64)
            array.intArray(Array(text.utf8))
            let byteArray = array.bytes
            spans.append(Spans(
                utf8: add(text.utf8),
                escaped: add(quoted.dropFirst().dropLast()),
                quoted: add(quoted),
                entryPrefix: add(Array(#"{"token":"#.utf8) + quoted + Array(#","logprob":"#.utf8)),
                chosenSuffix: add(Array(#","bytes":"#.utf8) + byteArray + Array(#","top_logprobs":["#.utf8)),
                alternativeSuffix: add(Array(#","bytes":"#.utf8) + byteArray + [UInt8(ascii: "}")]),
                legacyKey: add(quoted + [UInt8(ascii: ":")]),
                idEntryPrefix: add(Array(#"{"token":"#.utf8) + idQuoted + Array(#","logprob":"#.utf8)),
                idQuoted: add(idQuoted),
                idLegacyKey: add(idQuoted + [UInt8(ascii: ":")])))
        }
        fragments = bytes
        self.spans = spans
        texts = order
        scalarCounts = order.map { $0.unicodeScalars.count }
    }

    /// Number of tokens.
    var count: Int { spans.count }

    /// The word pieces. Mostly English words with a leading space, plus pieces that exercise
    /// JSON escaping (quotes, backslash, control characters) and multi-byte UTF-8.
    static let pieces: [String] = [
        " the", " model", " of", " and", " to", " a", " in", " is", " that", " for", " it", " with",
        " as", " was", " on", " be", " by", " this", " are", " we", " data", " learning", " teacher",
        " student", " token", " answer", " question", " because", " which", " can", " will", " from",
        " an", " not", " or", " have", " has", " but", " at", " more", " one", " two", " three",
        " first", " then", " each", " value", " result", " function", " system", " example", " time",
        " number", " set", " step", " using", " between", " where", " when", " how", " why", " what",
        " so", " if", " all", " also", " its", " these", " there", " their", " they", " new", " large",
        " small", " language", " probability", " distribution", " sample", " training", " loss",
        " gradient", " layer", " network", " output", " input", " text", " word", " sequence",
        " context", " attention", " vector", " matrix", " compute", " efficient", ".", ",", ":", ";",
        "!", "?", "\n", "\n\n", " (", ")", " \"", "\"", " -", " 1", " 2", " 42", " 3.14", "ing", "ed",
        "s", " re", "un", " café", " naïve", " über", " 日本", "語", " 🙂", " →", "\t", " \\", " <b>",
        " &", " 'quote'", " x²",
    ]
}

extension Array where Element == UInt8 {
    /// Appends `fragments[range]`.
    @inline(__always)
    mutating func append(_ fragments: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        append(contentsOf: UnsafeBufferPointer(rebasing: fragments[range]))
    }

    /// Appends a finite double in its shortest round-trip form.
    @inline(__always)
    mutating func appendDouble(_ value: Double) {
        append(contentsOf: value.description.utf8)
    }
}

extension [UInt8] {
    /// Appends `log(probability)` rounded to float32 and printed as its (double) value, the way vLLM and
    /// llama.cpp's Python servers send logprobs (computed in float32, serialized by Python's `repr`).
    mutating func appendLogprob(_ probability: Double) {
        appendDouble(Double(Float(log(probability))))
    }
}
