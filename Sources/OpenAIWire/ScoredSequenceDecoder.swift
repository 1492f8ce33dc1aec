import HarvestCore
import HarvestJSON

/// Reads the per-position top-k of a scoring answer (``ScoreForm``) into one ``TokenLogprob`` per token of the
/// scored sequence, in sequence order: the token the sequence holds there (text, id where given, its logprob) and
/// the alternatives as sent.
///
/// - ``ScoreForm/echo``: the choice's legacy `logprobs` columns (already decoded by ``ResponseDecoder``) without the
///   trailing generated tokens: those whose `text_offset` is at or past the prompt's end (`promptCharacters`, in
///   Unicode scalars as the servers count), else the last `usage.completion_tokens` (1 when usage does not say).
///   llama.cpp's Python server (0.3.36) sends entries for the prompt tokens only; vLLM and SGLang add the generated
///   ones (SGLang's offsets are all -1: then usage decides). A `null` first logprob stays the canonical NaN (written
///   back as `null`). A choice-level `prompt_token_ids` with one id per kept entry (SGLang with `return_token_ids`)
///   gives the positions' token ids.
/// - ``ScoreForm/promptLogprobs``: vLLM's `prompt_logprobs` (top level on chat, per choice on completions): per
///   token `null` (the first) or a map token id → `{logprob, rank, decoded_token}`. vLLM puts the prompt's own
///   token first and then the top-k by rank (the prompt token only once), so the first member is the scored
///   token and every member, in the order sent, is an alternative. A `null` entry becomes a position with the
///   NaN logprob, no alternatives and the id from `prompt_token_ids` when the response has it. `rank` is not
///   kept (the alternatives' order is their rank; the scored token's rank follows from the logprobs).
///
/// Values are bit-exact (correctly rounded parsing); a positive logprob above 1e-6 is an invalid value.
public enum ScoredSequenceDecoder {
    /// The scored positions, or nil when the answer has none (stored as an answer without the requested
    /// logprobs). `response` is the ``ResponseDecoder`` result of `body` with values decoded (not encoded).
    public static func positions(body: [UInt8], response: TeacherResponse, form: ScoreForm,
                                 promptCharacters: Int? = nil) throws(WireError) -> [TokenLogprob]? {
        switch form {
        case .echo:
            guard let choice = response.choices.first, var tokens = choice.logprobs ?? choice.encodedLogprobs.flatMap({ try? LogprobCodec.decode($0) })
            else { return nil }
            let parsed = (try? JSONValue.parse(body))?["choices"]?.arrayValue?.first
            let offsets = promptCharacters == nil ? nil : parsed?["logprobs"]?["text_offset"]?.arrayValue?.compactMap(\.intValue)
            // SGLang writes -1 for every offset ("not supported yet"): no offsets then.
            if let promptCharacters, let offsets, offsets.count == tokens.count, offsets.allSatisfy({ $0 >= 0 }) {
                // Entries that start at or after the prompt's end are generated (llama.cpp's Python server sends none).
                tokens.removeLast(offsets.reversed().prefix { $0 >= promptCharacters }.count)
            } else {
                tokens.removeLast(min(max(response.usage?.completionTokens ?? 1, 0), tokens.count))
            }
            // SGLang (`return_token_ids`): the prompt's ids, one per echoed prompt token, fill the positions' ids.
            if let ids = parsed?["prompt_token_ids"]?.arrayValue?.compactMap(\.intValue), ids.count == tokens.count {
                for i in tokens.indices where tokens[i].tokenId == nil { tokens[i].tokenId = ids[i] }
            }
            return tokens.isEmpty ? nil : tokens
        case .promptLogprobs:
            let root: JSONValue
            do {
                root = try JSONValue.parse(body)
            } catch {
                throw .malformed(reason: "scoring answer: \(error.message)", offset: error.offset, bodyPrefix: WireError.bodyPrefix(body))
            }
            let choice = root["choices"]?.arrayValue?.first
            guard let entries = (root["prompt_logprobs"].flatMap(\.arrayValue)) ?? choice?["prompt_logprobs"]?.arrayValue else { return nil }
            let ids = (root["prompt_token_ids"] ?? choice?["prompt_token_ids"])?.arrayValue?.compactMap(\.intValue)
            var out = [TokenLogprob]()
            out.reserveCapacity(entries.count)
            for (i, entry) in entries.enumerated() {
                let knownId = ids.flatMap { $0.count == entries.count ? $0[i] : nil }
                guard let members = entry.objectValue, !members.isEmpty else {
                    guard entry.isNull || entry.objectValue != nil else {
                        throw invalid("prompt_logprobs[\(i)] is \(entry.typeName), expected an object or null", body)
                    }
                    out.append(TokenLogprob(token: "", logprob: .nan, tokenId: knownId))
                    continue
                }
                var top = [TopLogprob]()
                top.reserveCapacity(members.count)
                for (key, value) in members {
                    guard let logprob = value["logprob"]?.doubleValue ?? value.doubleValue else {
                        throw invalid("prompt_logprobs[\(i)][\"\(key)\"] has no numeric logprob", body)
                    }
                    guard !(logprob > 1e-6) else { throw invalid("prompt_logprobs[\(i)][\"\(key)\"] logprob \(logprob) is positive", body) }
                    let text = value["decoded_token"]?.stringValue ?? ""
                    top.append(TopLogprob(token: text, logprob: logprob, tokenId: Int(key) ?? TokenIdText.id(in: text)))
                }
                let scored = top[0]
                out.append(TokenLogprob(token: scored.token, logprob: scored.logprob, tokenId: scored.tokenId ?? knownId, top: top))
            }
            return out.isEmpty ? nil : out
        }
    }

    private static func invalid(_ reason: String, _ body: [UInt8]) -> WireError {
        .invalidValue(reason: reason, offset: 0, bodyPrefix: WireError.bodyPrefix(body))
    }
}

/// vLLM's `token_id:N` token spelling.
enum TokenIdText {
    /// N when `text` is `token_id:N`.
    static func id(in text: String) -> Int? {
        guard text.hasPrefix("token_id:") else { return nil }
        return Int(text.dropFirst(9))
    }
}
