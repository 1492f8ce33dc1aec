import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore

/// Throughput of the `verify` stage: fills a store with `answers` answers (default 1,000,000; 4 samples per prompt,
/// ~1.1 KB of working each, the final answer in eight forms, `math` references), then times the whole stage (read,
/// judge, write verdicts and marks; with its peak RSS and CPU per thread) and a re-run, then reading the answers
/// alone and judging them in memory on 1 thread and on every core (``AnswerVerifierStage/judge(_:fingerprint:)``),
/// printing answers/s and answers per CPU-second.
/// `harvest-bench --scenario verify [--prompts 1000000]` (here `--prompts` counts answers).
enum VerifyScenario {
    static func run(answers: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-verify-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bench.sqlite").path
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        let t0 = ContinuousClock.now
        try fill(store, path: path, prompts: max(1, answers / 4))
        let f = ProgressLine.fixed
        print("  filled        \(answers) answers in \(f(seconds(ContinuousClock.now - t0), 1)) s")

        // The whole stage first, on a fresh process heap, so its peak RSS is its own.
        var stage = AnswerVerifierStage(store: store)
        var report: VerificationReport?
        ProcessProbe.resetPeakRSS()
        let rss0 = ProcessProbe.rssMiB()
        let threads0 = Dictionary(ProcessProbe.threadCPU(), uniquingKeysWith: { a, _ in a })
        let full = try timed { report = try stage.run(setName: "bench") }
        let peak = ProcessProbe.peakRSSMiB()
        line("whole stage", report?.examined ?? 0, full)
        print("                peak RSS \(f(peak, 0)) MiB (\(f(rss0, 0)) MiB before); CPU by thread: "
            + ProcessProbe.threadCPU().map { ($0.0, $0.1 - (threads0[$0.0] ?? 0)) }.filter { $0.1 >= 0.05 }
                .map { "\($0.0) \(f($0.1, 2)) s" }.joined(separator: ", "))
        let rerun = try timed { report = try stage.run(setName: "bench") }
        print("  re-run        \(f(rerun.wall, 3)) s judging \(report?.examined ?? -1) answers")

        // Reading alone (the bound the issue sets: judging should cost no more than reading).
        var pages: [[VerificationInput]] = []
        var bytes = 0
        let read = try timed {
            var afterId: Int64 = 0
            while true {
                let page = try store.verificationInputs(setName: "bench", afterId: afterId, limit: 5000)
                bytes += page.reduce(0) { $0 + $1.content.utf8.count }
                pages.append(page)
                guard let last = page.last, page.count == 5000 else { break }
                afterId = last.responseId
            }
        }
        let count = pages.reduce(0) { $0 + $1.count }
        line("read alone", count, read)
        print("                (mean \(bytes / max(count, 1)) bytes per answer)")

        let cores = stage.threads
        stage.threads = 1
        var verdicts: [String: Int] = [:]
        let one = timed { for p in pages { for v in stage.judge(p, fingerprint: "bench") { verdicts[v.verdict, default: 0] += 1 } } }
        line("judge, 1 thread", count, one)
        stage.threads = cores
        let all = timed { for p in pages { _ = stage.judge(p, fingerprint: "bench") } }
        line("judge, \(cores) threads", count, all)
        pages = []
        print("  verdicts      " + verdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("RESULT read=\(Double(count) / read.wall) judge1=\(Double(count) / one.cpu) judgeAll=\(Double(count) / all.wall) "
            + "stage=\(Double(count) / full.wall) stageCPU=\(Double(count) / full.cpu) stagePeakRSS=\(peak)")
    }

    /// Wall and CPU seconds (all threads of the process) of `body`.
    static func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let cpu0 = ProcessProbe.cpuSeconds()
        let t0 = ContinuousClock.now
        try body()
        return (seconds(ContinuousClock.now - t0), ProcessProbe.cpuSeconds() - cpu0)
    }

    static func line(_ label: String, _ n: Int, _ t: (wall: Double, cpu: Double)) {
        let f = ProgressLine.fixed
        print("  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) \(n) answers in \(f(t.wall, 2)) s = \(f(Double(n) / t.wall, 0)) answers/s wall, "
            + "\(f(Double(n) / max(t.cpu, 1e-9), 0)) per CPU-second (CPU \(f(t.cpu, 2)) s)")
    }

    /// Prompts with `\frac{a}{b}` references, one sweep of 4 samples, answers written straight into the schema
    /// (the paid path is not what is measured): ~1 KB of working with numbers, then the final answer in one of
    /// eight forms (boxed, "final answer is", a bold "Answer:" after `<think>`, "Answer:", the last number, none: the
    /// working's last number is taken).
    private static func fill(_ store: SQLiteStore, path: String, prompts: Int) throws {
        let inputs = (0..<prompts).map { p in
            PromptInput(externalId: "q\(p)", messages: [ChatMessage(role: "user", content: "question \(p)")],
                        source: InputLocation(file: "bench", line: p + 1), reference: "\\frac{\(p % 13 + 1)}{\(p % 7 + 2)}")
        }
        _ = try store.importPrompts(setName: "bench", prompts: inputs, sourceName: "bench")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")
        _ = try store.createSweep(name: "bench", setName: "bench", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: 4)
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        try db.execute("""
            BEGIN;
            INSERT INTO attempts(id, job_id, started_at, latency_ms, outcome) SELECT id, id, 0, 0, 'success' FROM jobs;
            INSERT INTO responses(job_id, attempt_id, choice_index, content, finish_reason, received_at)
            SELECT j.id, j.id, 0, replace(hex(zeroblob(8 + j.id % 5)), '00',
                'We simplify step by step: 12 + 7 = 19, then 19 - 4 = 15, and the ratio 3/4 of 20 is 15. ') ||
              CASE j.id % 8
                WHEN 0 THEN printf('So the answer is $\\boxed{\\frac{%d}{%d}}$.', (p.id - 1) % 13 + 1, (p.id - 1) % 7 + 2)
                WHEN 1 THEN printf('The final answer is %d.', p.id % 5)
                WHEN 2 THEN printf('<think>maybe 3</think>**Answer:** %.6f', ((p.id - 1) % 13 + 1) * 1.0 / ((p.id - 1) % 7 + 2))
                WHEN 3 THEN printf('Therefore the value is %d/%d.', (p.id - 1) % 13 + 1, (p.id - 1) % 7 + 2)
                WHEN 4 THEN printf('Answer: $\\dfrac{%d}{%d}$', (p.id - 1) % 13 + 1, (p.id - 1) % 7 + 2)
                WHEN 5 THEN printf('\\boxed{%d/%d} is what we get.', (p.id - 1) % 13 + 2, (p.id - 1) % 7 + 2)
                WHEN 6 THEN printf('The final answer: \\(\\frac{%d}{%d}\\)', (p.id - 1) % 13 + 1, (p.id - 1) % 7 + 2)
                ELSE 'I could not finish the problem.' END, 'stop', 0
            FROM jobs j JOIN prompts p ON p.id = j.prompt_id;
            COMMIT;
            """)
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
