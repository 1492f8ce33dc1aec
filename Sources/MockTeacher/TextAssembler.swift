/// Builds the JSON string literal of a generated text from pre-escaped token fragments.
enum TextAssembler {
    /// Appends `"…"`: the escaped text of every generated token of `sampler`.
    static func appendQuotedText(of sampler: borrowing AnswerSampler, vocabulary: Vocabulary, into out: inout [UInt8]) {
        vocabulary.fragments.withUnsafeBufferPointer { fragments in
            vocabulary.spans.withUnsafeBufferPointer { spans in
                out.append(UInt8(ascii: "\""))
                for position in 0..<sampler.count { out.append(fragments, spans[sampler.chosen(at: position)].escaped) }
                out.append(UInt8(ascii: "\""))
            }
        }
    }
}
