import HarvestCore
import HarvestJSON

/// Scored sequences (rows of a scoring sweep, ``SamplingParams/score``) in ``KDShape/current``.
///
/// A scored row's positions cover the whole sequence the teacher was given — prompt and answer, and on vLLM's chat
/// `prompt_logprobs` the chat template around them. axolotl trains on the assistant answer only (its labels) and maps
/// the lists onto the last positions of the tokenized conversation, so the export writes the answer's positions,
/// then the template's closing tokens: those the teacher scored itself right after the answer when their ids are the
/// `--kd-closing-ids` in order (its real distribution), the rest with probability 1 as for sampled rows.
///
/// The answer is found by its text: the last place where the positions' token texts (their `bytes` when sent),
/// joined, hold the answer's UTF-8 starting at a token's start and ending at a token's end. A row whose answer is not
/// found on token boundaries (servers that spell tokens `token_id:N`, a template that rewrote the answer, a first
/// answer token merged with the prompt's last character), or whose answer positions include one without a
/// distribution, is refused as `scored_unaligned`; one whose written positions lack an id as `no_token_ids`.
/// Positions are taken as aligned: entry i describes the distribution of token i (vLLM, SGLang). llama.cpp's
/// Python server is off by one (docs/FORMATS.md) but sends no ids, so its rows never reach this point.
extension KDFormat {
    /// Reason `scored_unaligned`: a scored row whose answer cannot be placed on the scored positions.
    public static let scoredUnaligned = "scored_unaligned"

    /// The positions of a scored row that are written: the answer's, then the closing tokens the teacher scored
    /// itself; nil when the answer is not found on token boundaries or a written position has no distribution.
    public func scoredPositions(_ row: StoredResponse) -> ArraySlice<TokenLogprob>? {
        guard let positions = row.choice.logprobs, let answer = row.messages.last, answer.role == "assistant",
              let span = Self.answerSpan(positions, answer: answer.content) else { return nil }
        var end = span.upperBound
        for id in closingTokenIds {
            guard end < positions.count, positions[end].tokenId == id else { break }
            end += 1
        }
        let written = positions[span.lowerBound..<end]
        guard written.allSatisfy({ !$0.top.isEmpty || !$0.logprob.isNaN }) else { return nil }
        return written
    }

    /// The range of `positions` whose tokens spell `answer` exactly, starting and ending on token boundaries; the
    /// last such range (the answer closes the sequence); nil for an empty answer or none found.
    public static func answerSpan(_ positions: [TokenLogprob], answer: String) -> Range<Int>? {
        let target = Array(answer.utf8)
        guard !target.isEmpty else { return nil }
        var text: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(positions.count + 1)
        for p in positions {
            starts.append(text.count)
            text.append(contentsOf: p.bytes ?? Array(p.token.utf8))
        }
        starts.append(text.count)
        for first in positions.indices.reversed() {
            let start = starts[first]
            guard start + target.count <= text.count, let last = lastBoundary(starts, at: start + target.count), last > first,
                  text[start..<(start + target.count)].elementsEqual(target) else { continue }
            return first..<last
        }
        return nil
    }

    /// The last index of the non-decreasing `starts` whose value is `offset`, or nil (binary search).
    private static func lastBoundary(_ starts: [Int], at offset: Int) -> Int? {
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return low > 0 && starts[low - 1] == offset ? low - 1 : nil
    }

    /// Why a scored row cannot be written (``KDShape/current``), or nil: `scored_sequence` in the legacy shape,
    /// `scored_unaligned`, `no_token_ids`.
    func scoredSkipReason(_ row: StoredResponse) -> String? {
        guard shape == .current else { return Self.scoredSequence }
        guard row.choice.logprobs?.isEmpty == false else { return Self.noLogprobs }
        guard let written = scoredPositions(row) else { return Self.scoredUnaligned }
        return Self.hasAllIds(Array(written)) ? nil : Self.noTokenIds
    }

    /// Writes a scored row: its messages (the last one, the scored answer, as the assistant's message) and the lists
    /// of ``scoredPositions(_:)`` with the closing tokens (``writeCurrent(_:to:)``).
    func writeScored(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for m in row.messages.dropLast() { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        var answer = row.choice
        answer.content = row.messages.last?.content ?? ""
        answer.reasoning = nil
        ExportFields.writeAssistantMessage(answer, mode: options.reasoning, to: &w)
        w.endArray()
        writeCurrent(Array(scoredPositions(row) ?? []), to: &w)
        w.key("temperature")
        if let t = temperature ?? row.params.temperature { w.double(t) } else { w.null() }
        w.endObject()
    }

    /// The k of the lists a row is written with (the manifest's `top_k`): over the written positions.
    public func writtenK(_ row: StoredResponse) -> Int {
        if row.params.score != nil { return Self.uniformK(Array(scoredPositions(row) ?? [])) }
        if let columns = row.logprobColumns { return columns.uniformK }
        return Self.uniformK(row.choice.logprobs ?? [])
    }
}
