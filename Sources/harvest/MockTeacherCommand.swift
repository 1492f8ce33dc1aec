import ArgumentParser
import Foundation
import MockTeacher

/// `harvest mock-teacher`: the built-in OpenAI-compatible teacher, for demos, tests and benchmarks.
struct MockTeacherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-teacher",
        abstract: "Serve a deterministic OpenAI-compatible mock teacher on loopback (chat and completions, logprobs).")

    @Option(help: "Port (0 = any free port; the chosen port is printed).")
    var port: Int = 8090

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Model name it reports.")
    var model: String = "mock-teacher"

    @Option(help: "Milliseconds of latency added before each answer.")
    var latencyMs: Double = 0

    @Option(help: "Fraction of requests answered 429 with Retry-After.")
    var rate429: Double = 0

    @Option(help: "Fraction of requests answered 500.")
    var rate500: Double = 0

    @Option(help: "Fraction of answers cut short (truncated body).")
    var rateTruncated: Double = 0

    @Option(help: "Fraction of connections reset without an answer.")
    var rateReset: Double = 0

    @Option(help: "Fraction of requests that stall (no answer for --stall-seconds).")
    var rateStall: Double = 0

    @Option(help: "Seconds a stalled request waits before closing.")
    var stallSeconds: Double = 30

    @Option(help: "Fraction of answers that are an HTML page (200, text/html).")
    var rateHtml: Double = 0

    @Option(name: .customLong("rate-invalid-utf8"), help: "Fraction of answers whose body is not valid UTF-8.")
    var rateInvalidUTF8: Double = 0

    @Option(help: "Fraction of valid answers sent as text/plain.")
    var rateWrongContentType: Double = 0

    @Option(help: "Fraction of answers with \"choices\": [].")
    var rateEmptyChoices: Double = 0

    @Option(help: "Fraction of answers without the requested logprobs.")
    var rateMissingLogprobs: Double = 0

    @Option(help: "Fraction of answers whose body trickles in over --slow-body-seconds (combines with the others).")
    var rateSlowBody: Double = 0

    @Option(help: "Seconds a slow body takes from its first to its last piece.")
    var slowBodySeconds: Double = 2

    @Option(help: "Retry-After sent with 429 answers, seconds.")
    var retryAfter: Double = 1

    @Option(help: "Whose answer shapes to imitate: vllm (default) or sglang (SGLang's OpenAI routes: return_token_ids, no prompt_logprobs, echo offsets -1).")
    var server: String = "vllm"

    func validate() throws {
        for (name, v) in [("--rate429", rate429), ("--rate500", rate500), ("--rate-truncated", rateTruncated),
                          ("--rate-reset", rateReset), ("--rate-stall", rateStall), ("--rate-html", rateHtml),
                          ("--rate-invalid-utf8", rateInvalidUTF8), ("--rate-wrong-content-type", rateWrongContentType),
                          ("--rate-empty-choices", rateEmptyChoices), ("--rate-missing-logprobs", rateMissingLogprobs),
                          ("--rate-slow-body", rateSlowBody)] where !(0...1).contains(v) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if MockServerShape(rawValue: server) == nil { throw ValidationError("--server must be vllm or sglang") }
        if slowBodySeconds < 0 || retryAfter < 0 || stallSeconds < 0 { throw ValidationError("durations must not be negative") }
    }

    func run() throws {
        var faults = MockFaults()
        faults.rateLimited = rate429
        faults.serverError = rate500
        faults.truncated = rateTruncated
        faults.reset = rateReset
        faults.stall = rateStall
        faults.stallSeconds = stallSeconds
        faults.html = rateHtml
        faults.invalidUTF8 = rateInvalidUTF8
        faults.wrongContentType = rateWrongContentType
        faults.emptyChoices = rateEmptyChoices
        faults.missingLogprobs = rateMissingLogprobs
        faults.slowBody = rateSlowBody
        faults.slowBodySeconds = slowBodySeconds
        faults.retryAfterSeconds = retryAfter
        var config = MockTeacherConfiguration()
        config.host = host
        config.port = port
        config.model = model
        config.latencyMs = latencyMs
        config.faults = faults
        config.shape = MockServerShape(rawValue: self.server) ?? .vllm
        let server = MockTeacherServer(config)
        let bound: Int
        do {
            bound = try server.start()
        } catch {
            FileHandle.standardError.write(Data("harvest: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("mock teacher listening on http://\(host):\(bound)/v1 (model \(model)); Ctrl-C stops it")
        fflush(nil)
        let traps = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { server.stop() }
            source.resume()
            return source
        }
        server.waitUntilStopped()
        traps.forEach { $0.cancel() }
        let stats = server.stats()
        FileHandle.standardError.write(Data("mock teacher stopped after \(stats.requestsReceived) requests\n".utf8))
    }
}
