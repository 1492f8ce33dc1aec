/// The row layout of `--format kd` (`--kd-shape`), named after the axolotl loader that reads it.
public enum KDShape: String, Sendable, CaseIterable {
    /// axolotl's current KD loader (`type: axolotl.integrations.kd.chat_template`, loader `load`,
    /// `ChatTemplateStrategyWithKDv2`): `target_token_ids` and `logprobs` as per-position lists of k ids and k
    /// floats, right-aligned to the tokenized conversation, the chat template's closing tokens included.
    case current
    /// axolotl's legacy loader (`load_legacy`, `ChatTemplateStrategyWithKD`): `logprobs` as per-position lists of
    /// `{"token": "token_id:N", "logprob": x}`, completion tokens only.
    case legacy
}
