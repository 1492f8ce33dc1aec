#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestJSON

/// A text tokenized by the mock's vocabulary, with the mock's deterministic distribution at every position: what
/// the scoring shapes (legacy `echo`, vLLM `prompt_logprobs`) report.
///
/// Tokenization is greedy longest match over the vocabulary's pieces; a character no piece starts with becomes a
/// token of its own (id `vocabulary.count + scalar value`). The distribution at position `p ≥ 1` depends only on
/// the tokens before it (a hash of their ids), so the same prefix scores the same in both shapes and in every
/// sequence that shares it. Candidates are ranked like ``AnswerSampler``'s (rank 0 gets 0.3…0.9999, each further
/// rank part of the rest, sorted); the scored token takes rank 0, 1 or 2 (60/20/10 %) or lies outside the list
/// with half of the mass left over (10 %). Position 0 has no distribution (nothing precedes it).
struct ScoredSequence {
    /// Token ids of the sequence.
    private(set) var ids: [Int] = []
    /// Token texts of the sequence.
    private(set) var texts: [String] = []
    private let vocabulary: Vocabulary

    /// Tokenizes `text`.
    init(_ text: String, vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        let bytes = Array(text.utf8)
        var pieces = [(id: Int, utf8: [UInt8])]()
        for (id, piece) in vocabulary.texts.enumerated() { pieces.append((id, Array(piece.utf8))) }
        var i = 0
        while i < bytes.count {
            var best: (id: Int, length: Int)?
            for piece in pieces where piece.utf8.count > (best?.length ?? 0) && i + piece.utf8.count <= bytes.count {
                if bytes[i..<(i + piece.utf8.count)].elementsEqual(piece.utf8) { best = (piece.id, piece.utf8.count) }
            }
            if let best {
                ids.append(best.id)
                texts.append(vocabulary.texts[best.id])
                i += best.length
                continue
            }
            var end = i + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            let scalar = String(decoding: bytes[i..<end], as: UTF8.self)
            ids.append(vocabulary.count + Int(scalar.unicodeScalars.first?.value ?? 0))
            texts.append(scalar)
            i = end
        }
    }

    /// Number of tokens.
    var count: Int { ids.count }

    /// The reported list at position `p ≥ 1` for top-`k`, and the scored token's logprob and 1-based rank.
    struct Position {
        /// Top-`k` candidates `(id, text, logprob)` by rank.
        var top: [(id: Int, text: String, logprob: Double)]
        /// Logprob of the token the sequence holds.
        var logprob: Double
        /// Its rank (1 = most probable).
        var rank: Int
    }

    /// The distribution at position `p` (1 ≤ p < count), reported as top-`k`.
    func position(_ p: Int, k: Int) -> Position {
        var h: UInt64 = 0x5343_4F52_4520_4D4F
        for id in ids[0..<p] { h = SplitMix64.mix(h ^ UInt64(truncatingIfNeeded: id)) }
        var rng = SplitMix64(seed: h)
        let actual = ids[p]
        let width = max(k, 3)
        let placeDraw = rng.unit()
        let place: Int? = placeDraw < 0.6 ? 0 : (placeDraw < 0.8 ? 1 : (placeDraw < 0.9 ? 2 : nil))
        var probability = 0.9999 - 0.7 * rng.unit() * rng.unit()
        var remaining = 1 - probability
        var candidates = [(id: Int, probability: Double)]()
        for rank in 0..<width {
            var id: Int
            if rank == place {
                id = actual
            } else {
                repeat { id = rng.below(vocabulary.count) } while id == actual || candidates.contains { $0.id == id }
            }
            if rank > 0 {
                probability = min(probability, remaining * (0.35 + 0.5 * rng.unit()))
                remaining -= probability
            }
            candidates.append((id, probability))
        }
        let actualProbability = place.map { candidates[$0].probability } ?? remaining * 0.5
        let top = candidates.prefix(k).map { (id: $0.id, text: text(of: $0.id), logprob: Self.logprob($0.probability)) }
        return Position(top: Array(top), logprob: Self.logprob(actualProbability), rank: place.map { $0 + 1 } ?? width + 1)
    }

    private func text(of id: Int) -> String {
        id < vocabulary.count ? vocabulary.texts[id] : (ids.firstIndex(of: id).map { texts[$0] } ?? "")
    }

    /// `log(p)` rounded to float32, as the real servers send it.
    static func logprob(_ p: Double) -> Double { Double(Float(log(p))) }

    /// Chat messages as one text, ChatML-style: `<|im_start|>ROLE\nCONTENT<|im_end|>\n` per message, and an open
    /// `<|im_start|>assistant\n` when `addGenerationPrompt`.
    static func render(_ messages: [JSONValue], addGenerationPrompt: Bool) -> String {
        var out = ""
        for m in messages {
            let content: String
            if let s = m["content"]?.stringValue {
                content = s
            } else {
                content = (m["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
            }
            out += "<|im_start|>\(m["role"]?.stringValue ?? "")\n\(content)<|im_end|>\n"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
