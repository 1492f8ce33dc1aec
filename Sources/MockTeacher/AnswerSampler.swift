/// Generates one choice of an answer: the chosen tokens and, per position, a ranked list of
/// candidate tokens with probabilities. Everything is a pure function of
/// (answer seed, choice index, position), and each position's candidate list is generated as a
/// stable prefix, so the tokens do not depend on how many `top_logprobs` were asked for.
///
/// Probabilities: rank 0 gets 0.3...0.9999 (mostly confident); each further rank takes 35–85 %
/// of the mass still unassigned, capped at the previous rank's, so every ranked list is sorted
/// and sums to less than 1. The chosen rank is drawn among ranks 0...2 by their probabilities
/// (always 0 at temperature 0).
///
/// Reused across requests on one connection (its arrays keep their capacity).
struct AnswerSampler {
    /// Why generation ended.
    enum Finish { case length, stop }

    /// Candidates generated per position: at least 3 (the chosen rank is drawn among 0...2).
    private(set) var width = 3
    /// Number of generated tokens.
    private(set) var count = 0
    /// `finish_reason`.
    private(set) var finish = Finish.length
    /// Candidate token ids, `width` per position, ranked by descending probability.
    private(set) var candidateIDs: [Int32] = []
    /// Candidate probabilities, parallel to ``candidateIDs``.
    private(set) var candidateProbabilities: [Double] = []
    /// The rank (0...2) of the chosen token at each position.
    private(set) var chosenRanks: [UInt8] = []
    /// The generated text (raw UTF-8), used to match stop strings.
    private(set) var text: [UInt8] = []

    let vocabulary: Vocabulary

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
    }

    /// The chosen token id at `position`.
    @inline(__always)
    func chosen(at position: Int) -> Int {
        let rank = Int(chosenRanks[position])
        return Int(candidateIDs[position &* width &+ rank])
    }

    /// The token id and probability at `rank` of the reported top-`k` list at `position`.
    /// The list is ranks `0..<k`, except that when the chosen rank is not among them the last
    /// slot shows the chosen token instead: it stays sorted and always contains the chosen token.
    @inline(__always)
    func reported(position: Int, slot: Int, k: Int) -> (id: Int, probability: Double) {
        var rank = slot
        let chosenRank = Int(chosenRanks[position])
        if slot == k - 1 && chosenRank > slot { rank = chosenRank }
        let index = position &* width &+ rank
        return (Int(candidateIDs[index]), candidateProbabilities[index])
    }

    /// The probability of the chosen token at `position`.
    @inline(__always)
    func chosenProbability(at position: Int) -> Double {
        candidateProbabilities[position &* width &+ Int(chosenRanks[position])]
    }

    /// Generates choice `choice` of the answer seeded by `seed`.
    /// - Parameters:
    ///   - topK: how many ranked candidates per position will be reported (0...20).
    ///   - greedy: temperature 0: always choose rank 0.
    ///   - stops: stop strings (UTF-8); generation ends before the token that completes one.
    ///   - earlyStopRate: probability of ending early at a deterministic position.
    mutating func generate(seed: UInt64, choice: Int, maxTokens: Int, topK: Int, greedy: Bool,
                  stops: [[UInt8]], earlyStopRate: Double) {
        let choiceSeed = SplitMix64.mix(seed ^ (UInt64(truncatingIfNeeded: choice) &* 0xD6E8_FEB8_6659_FD93))
        width = max(topK, 3)
        count = 0
        finish = .length
        text.removeAll(keepingCapacity: true)
        candidateIDs.removeAll(keepingCapacity: true)
        candidateProbabilities.removeAll(keepingCapacity: true)
        chosenRanks.removeAll(keepingCapacity: true)
        candidateIDs.reserveCapacity(maxTokens * width)
        candidateProbabilities.reserveCapacity(maxTokens * width)
        chosenRanks.reserveCapacity(maxTokens)

        var limit = maxTokens
        var choiceRNG = SplitMix64(seed: choiceSeed ^ 0x5354_4F50)
        if earlyStopRate > 0, maxTokens > 1, choiceRNG.unit() <= earlyStopRate {
            limit = 1 + choiceRNG.below(maxTokens - 1)
        }
        let tokenCount = vocabulary.count
        let fragments = vocabulary.fragments
        let spans = vocabulary.spans
        for position in 0..<limit {
            var rng = SplitMix64(seed: SplitMix64.mix(choiceSeed &+ UInt64(truncatingIfNeeded: position) &* 0x9FB2_1C65_1E98_DF25))
            let topDraw = rng.unit()
            let rankDraw = rng.unit()
            let base = candidateIDs.count
            var probability = 0.9999 - 0.7 * topDraw * topDraw
            var remaining = 1 - probability
            for rank in 0..<width {
                var id: Int32
                repeat {
                    id = Int32(truncatingIfNeeded: rng.below(tokenCount))
                } while candidateIDs[base...].contains(id)
                if rank > 0 {
                    probability = min(probability, remaining * (0.35 + 0.5 * rng.unit()))
                    remaining -= probability
                }
                candidateIDs.append(id)
                candidateProbabilities.append(probability)
            }
            var rank: UInt8 = 0
            if !greedy {
                let p0 = candidateProbabilities[base], p1 = candidateProbabilities[base + 1]
                let u = rankDraw * (p0 + p1 + candidateProbabilities[base + 2])
                rank = u <= p0 ? 0 : (u <= p0 + p1 ? 1 : 2)
            }
            chosenRanks.append(rank)
            let utf8 = spans[Int(candidateIDs[base + Int(rank)])].utf8
            text.append(contentsOf: fragments[utf8])
            if !stops.isEmpty && completesStop(stops, tokenLength: utf8.count) {
                text.removeLast(utf8.count)
                chosenRanks.removeLast()
                candidateIDs.removeLast(width)
                candidateProbabilities.removeLast(width)
                finish = .stop
                break
            }
            count += 1
        }
        if count < maxTokens { finish = .stop }
    }

    /// Whether appending the last `tokenLength` bytes of ``text`` completed one of `stops`.
    private func completesStop(_ stops: [[UInt8]], tokenLength: Int) -> Bool {
        for stop in stops where !stop.isEmpty {
            let from = max(0, text.count - tokenLength - stop.count + 1)
            var start = from
            while start + stop.count <= text.count {
                if text[start..<(start + stop.count)].elementsEqual(stop) { return true }
                start += 1
            }
        }
        return false
    }

    /// A short deterministic "reasoning" text for `mock_reasoning`, JSON-escaped into `out`
    /// (without quotes). Returns its token count.
    func reasoning(seed: UInt64, choice: Int, into out: inout [UInt8]) -> Int {
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x5245_4153_4F4E ^ UInt64(truncatingIfNeeded: choice)))
        let length = 8 + rng.below(25)
        for _ in 0..<length {
            out.append(contentsOf: vocabulary.fragments[vocabulary.spans[rng.below(vocabulary.count)].escaped])
        }
        return length
    }
}
