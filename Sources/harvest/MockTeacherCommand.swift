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

    func validate() throws {
        for (name, v) in [("--rate429", rate429), ("--rate500", rate500), ("--rate-truncated", rateTruncated),
                          ("--rate-reset", rateReset), ("--rate-stall", rateStall)] where !(0...1).contains(v) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
    }

    func run() throws {
        var faults = MockFaults()
        faults.rateLimited = rate429
        faults.serverError = rate500
        faults.truncated = rateTruncated
        faults.reset = rateReset
        faults.stall = rateStall
        faults.stallSeconds = stallSeconds
        var config = MockTeacherConfiguration()
        config.host = host
        config.port = port
        config.model = model
        config.latencyMs = latencyMs
        config.faults = faults
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
