import HarvestCore

/// Which messages make up "the prompt" for prompt-level stages (decontamination, prompt dedup, the JSON filter).
public enum PromptTextSource: String, Sendable, Hashable, CaseIterable {
    /// Contents of `user` messages, joined by newlines (all messages when there is no user message).
    case userMessages = "user"
    /// Contents of every message, joined by newlines.
    case allMessages = "all"

    /// The prompt text of a conversation.
    public func text(of messages: [ChatMessage]) -> String {
        if self == .userMessages {
            let user = messages.filter { $0.role == "user" }
            if !user.isEmpty { return user.map(\.content).joined(separator: "\n") }
        }
        return messages.map(\.content).joined(separator: "\n")
    }
}
