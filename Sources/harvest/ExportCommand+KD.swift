import ArgumentParser
import HarvestExport

extension ExportCommand {
    /// Checks the `--kd-*` options: only with `--format kd`; the current shape needs `--kd-closing-ids`.
    func validateKD() throws {
        let given = [("--kd-closing-ids", kdClosingIds != nil), ("--kd-temperature", kdTemperature != nil),
                     ("--kd-shape", kdShape != KDShape.current.rawValue)].filter(\.1).map(\.0)
        guard format == "kd" else {
            if let flag = given.first { throw ValidationError("\(flag) applies to --format kd only") }
            return
        }
        guard let shape = KDShape(rawValue: kdShape) else { throw ValidationError("--kd-shape must be current or legacy") }
        if let t = kdTemperature, !(t > 0) || !t.isFinite {
            throw ValidationError("--kd-temperature must be a positive number (axolotl treats 0 as unset)")
        }
        switch shape {
        case .current:
            guard let ids = kdClosingIds else {
                throw ValidationError("""
                    --format kd (axolotl's current loader) needs --kd-closing-ids: axolotl aligns the teacher's logprobs \
                    to the end of the tokenized conversation, so the tokens the student's chat template writes after \
                    the answer must be counted. ChatML templates (SmolLM2, Qwen) write <|im_end|> and a newline: \
                    look the ids up with tokenizer.apply_chat_template([...], tokenize=True) and pass e.g. \
                    --kd-closing-ids 2,198, or --kd-closing-ids none for a template that writes nothing after the answer
                    """)
            }
            _ = try Self.parseClosingIds(ids)
        case .legacy:
            if kdClosingIds != nil { throw ValidationError("--kd-closing-ids applies to --kd-shape current only") }
        }
    }

    /// The format to export, with the `--kd-*` settings for `kd`.
    func exportFormat() throws -> any ExportFormat {
        guard format == "kd" else { return ExportFormats.named(format)! }
        let shape = KDShape(rawValue: kdShape) ?? .current
        let ids = shape == .current ? try Self.parseClosingIds(kdClosingIds ?? "none") : []
        return KDFormat(shape: shape, closingTokenIds: ids, temperature: kdTemperature)
    }

    /// `2,198` → [2, 198]; `none` → [].
    static func parseClosingIds(_ text: String) throws -> [Int] {
        if text == "none" { return [] }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let ids = parts.compactMap { Int(String($0.filter { $0 != " " })) }
        guard !parts.isEmpty, ids.count == parts.count, ids.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--kd-closing-ids must be token ids separated by commas (e.g. 2,198) or none, got \"\(text)\"")
        }
        return ids
    }
}
