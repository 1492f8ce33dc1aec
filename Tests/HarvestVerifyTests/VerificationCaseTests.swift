import Foundation
import HarvestVerify
import Testing

/// One hand-written case of Fixtures/verification-cases.tsv.
struct VerificationCase: CustomTestStringConvertible, Sendable {
    var line: Int
    var kind: VerifierKind
    var response: String
    var reference: String?
    var expected: Verdict
    var extracted: String?

    var testDescription: String { "line \(line): \(kind.rawValue) \(response.debugDescription) vs \(reference ?? "nil")" }

    /// Reads the fixture: `verifier TAB response TAB reference TAB verdict [TAB extracted]`; `⏎` is a newline in the
    /// response, `∅` an absent reference, `#` starts a comment line.
    static func load() throws -> [VerificationCase] {
        guard let url = Bundle.module.url(forResource: "verification-cases", withExtension: "tsv", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        var out = [VerificationCase]()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if raw.isEmpty || raw.hasPrefix("#") { continue }
            let cols = raw.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 4, let kind = VerifierKind(name: cols[0]), let verdict = Verdict(rawValue: cols[3]) else {
                Issue.record("verification-cases.tsv:\(n + 1): malformed case \(raw.debugDescription)")
                continue
            }
            out.append(VerificationCase(
                line: n + 1, kind: kind, response: cols[1].replacingOccurrences(of: "⏎", with: "\n"),
                reference: cols[2] == "∅" ? nil : cols[2], expected: verdict, extracted: cols.count > 4 ? cols[4] : nil))
        }
        return out
    }
}

@Suite("Verification cases")
struct VerificationCaseTests {
    static let cases = (try? VerificationCase.load()) ?? []

    @Test("at least 200 hand-written cases, every verifier and verdict present")
    func coverage() {
        #expect(Self.cases.count >= 200)
        for kind in VerifierKind.allCases { #expect(Self.cases.contains { $0.kind == kind }, "no case for \(kind)") }
        for verdict in Verdict.allCases { #expect(Self.cases.contains { $0.expected == verdict }, "no case for \(verdict)") }
    }

    @Test("verdict and extracted answer", arguments: cases)
    func verdict(_ c: VerificationCase) {
        let v = AnswerVerifier.verify(content: c.response, against: PreparedReference(kind: c.kind, reference: c.reference))
        #expect(v.verdict == c.expected, "\(v.reason); extracted \(v.extracted ?? "nil") by \(v.rule?.rawValue ?? "nil")")
        if let e = c.extracted { #expect(v.extracted == e) }
    }
}

/// Writes the math cases' extracted (answer, reference) pairs with harvest's verdict as JSONL to
/// `HARVEST_AGREEMENT_OUT`, for docs/bench/math_verify_agreement.sh (compares with Hugging Face math-verify).
@Suite("Math agreement pairs", .enabled(if: ProcessInfo.processInfo.environment["HARVEST_AGREEMENT_OUT"] != nil))
struct MathAgreementPairs {
    @Test func writePairs() throws {
        let path = ProcessInfo.processInfo.environment["HARVEST_AGREEMENT_OUT"]!
        var out = ""
        for c in VerificationCaseTests.cases where c.kind == .math {
            guard let reference = c.reference, !reference.isEmpty,
                  let answer = AnswerExtractor.extract(from: c.response) else { continue }
            let v = AnswerVerifier.verify(content: c.response, against: PreparedReference(kind: .math, reference: reference))
            func quote(_ s: String) -> String {
                "\"" + s.unicodeScalars.map { u -> String in
                    switch u {
                    case "\"": return "\\\""
                    case "\\": return "\\\\"
                    case "\n": return "\\n"
                    default: return String(u)
                    }
                }.joined() + "\""
            }
            out += "{\"line\": \(c.line), \"answer\": \(quote(answer.text)), \"reference\": \(quote(reference)), \"harvest\": \"\(v.verdict.rawValue)\"}\n"
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(!out.isEmpty)
    }
}
