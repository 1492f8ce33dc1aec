import Foundation
import HarvestCore

/// Builds a stored response for tests.
func response(id: Int64, promptId: Int64? = nil, prompt: String = "What is 2 + 2?", content: String = "4",
              reasoning: String? = nil, finish: String? = "stop", completionTokens: Int? = nil,
              logprobs: [Double]? = nil, system: String? = nil) -> StoredResponse {
    var messages = [ChatMessage]()
    if let system { messages.append(ChatMessage(role: "system", content: system)) }
    messages.append(ChatMessage(role: "user", content: prompt))
    return StoredResponse(
        id: id, jobId: id, promptId: promptId ?? id, promptHash: "", externalId: nil, metadataJSON: nil, messages: messages,
        teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "teacher"), params: SamplingParams(),
        sampleIndex: 0,
        choice: CompletionChoice(index: 0, content: content, reasoning: reasoning, finishReason: finish,
                                 logprobs: logprobs.map { $0.map { TokenLogprob(token: "t", logprob: $0) } }),
        usage: completionTokens.map { Usage(completionTokens: $0) }, model: "teacher", responseId: nil, receivedAt: 0)
}

/// A temporary file with `contents`; removed by the caller.
func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let path = NSTemporaryDirectory() + "/harvest-curate-\(UInt64.random(in: 0...UInt64.max))-" + name
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
