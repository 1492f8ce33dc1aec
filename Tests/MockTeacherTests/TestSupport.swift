#if canImport(Glibc)
import Glibc
#endif
import HarvestJSON
import HarvestTestSupport
import MockTeacher

/// Runs `body` against a freshly started server, stopping it afterwards.
func withServer<T>(_ configuration: MockTeacherConfiguration = MockTeacherConfiguration(),
                   _ body: (MockTeacherServer, Int) throws -> T) throws -> T {
    let server = MockTeacherServer(configuration)
    let port = try server.start()
    defer { server.stop() }
    return try body(server, port)
}

/// A chat completion request body.
func chatBody(content: String = "Explain knowledge distillation in one short line", maxTokens: Int? = 8,
              topLogprobs: Int? = 5, n: Int? = nil, seed: Int? = 7, temperature: Double? = 0.7,
              model: String = "mock-teacher", extra: (inout JSONWriter) -> Void = { _ in }) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.key("model"); w.string(model)
    w.key("messages"); w.beginArray()
    w.beginObject(); w.key("role"); w.string("system"); w.key("content"); w.string("You are terse."); w.endObject()
    w.beginObject(); w.key("role"); w.string("user"); w.key("content"); w.string(content); w.endObject()
    w.endArray()
    if let maxTokens { w.key("max_tokens"); w.int(maxTokens) }
    if let temperature { w.key("temperature"); w.double(temperature) }
    if let seed { w.key("seed"); w.int(seed) }
    if let n { w.key("n"); w.int(n) }
    if let topLogprobs { w.key("logprobs"); w.bool(true); w.key("top_logprobs"); w.int(topLogprobs) }
    extra(&w)
    w.endObject()
    return w.string
}

/// The chat choices of a parsed response.
func choices(_ json: JSONValue) -> [JSONValue] { json["choices"]?.arrayValue ?? [] }

/// Runs `body` on a new pthread (never on the Swift concurrency pool, which tests already block).
func startThread(_ body: @escaping () -> Void) -> pthread_t {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    pthread_create(&thread, nil, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, context)
    return thread
}
