import Foundation
import HarvestVerify
import Testing

/// Verifier throughput on 1,000,000 answers (20,000 distinct responses of ~1 KB with their final answer in varied
/// forms, 4 samples per prompt); runs only with `HARVEST_BENCH=1` (use `-c release`).
@Suite("Verify benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct VerifyBenchmark {
    static let answers = Int(ProcessInfo.processInfo.environment["HARVEST_BENCH_ANSWERS"] ?? "") ?? 1_000_000

    /// (content, reference, kind) for distinct response `i`.
    static func sample(_ i: Int) -> (String, String, VerifierKind) {
        let filler = String(repeating: "We consider the quantity step \(i % 97) and simplify the expression carefully. ", count: 10 + i % 8)
        switch i % 8 {
        case 0: return (filler + "Therefore the answer is $\\boxed{\\frac{\(i % 13 + 1)}{\(i % 7 + 2)}}$.", "\(Double(i % 13 + 1) / Double(i % 7 + 2))", .math)
        case 1: return (filler + "So the final answer is \(i % 1000).", "\(i % 1000)", .math)
        case 2: return ("<think>" + filler + "maybe \\boxed{3}</think>" + filler + "**Answer:** \\(\(i % 5)\\sqrt{2}\\)", "\\sqrt{\(2 * (i % 5) * (i % 5))}", .math)
        case 3: return (filler + "The result is \\boxed{(\(i % 4), \(i % 9)]}", "(\(i % 4), \(i % 9)]", .math)
        case 4: return (filler + "The answer is (\(["A", "B", "C", "D"][i % 4])).", "C", .choice)
        case 5: return (filler + "Final answer: \\boxed{\(i % 50)\\%}", "0.\(i % 50)", .math)
        case 6: return (filler + "Answer: \(i % 3 == 0 ? "Paris" : "Lyon")", "Paris", .exact)
        default: return (filler + "It costs 1,\(100 + i % 900) dollars in total", "1\(100 + i % 900)", .math)
        }
    }

    @Test func verifyThroughput() {
        let distinct = 20_000
        let corpus = (0..<distinct).map(Self.sample)
        let bytes = corpus.reduce(0) { $0 + $1.0.utf8.count }
        var verdicts = [Verdict: Int]()
        let start = ContinuousClock.now
        var prepared = PreparedReference(kind: .none, reference: nil)
        for n in 0..<Self.answers {
            let (content, reference, kind) = corpus[(n / 4) % distinct]
            if n % 4 == 0 { prepared = PreparedReference(kind: kind, reference: reference) }
            verdicts[AnswerVerifier.verify(content: content, against: prepared).verdict, default: 0] += 1
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "bench verify (1 thread): %d answers (mean %d bytes), %.2f s, %.0f answers/s; verdicts %@",
                     Self.answers, bytes / distinct, seconds, Double(Self.answers) / seconds,
                     verdicts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")))
        #expect(verdicts[.correct, default: 0] > Self.answers / 2)
    }
}
