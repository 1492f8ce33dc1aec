import HarvestCore
import HarvestKit
import SQLiteStore
import Testing
@testable import HarvestDaemon

/// The batch-mode config keys: per teacher `batch_*` (named like the `--batch-*` flags), per sweep `via`.
@Suite struct BatchConfigTests {
    static func config(teacherExtra: String = "", sweepExtra: String = "") -> [UInt8] {
        Array("""
            {"teachers": [{"name": "oai", "base_url": "https://api.example.com/v1", "model": "m",
                           "sampling": {"max_tokens": 64}\(teacherExtra)}],
             "sweeps": [{"name": "s", "prompt_set": "p", "teacher": "oai"\(sweepExtra)}]}
            """.utf8)
    }

    @Test func readsTheBatchKeysOfATeacherAndTheViaOfASweep() throws {
        let c = try DaemonConfig.parse(Self.config(teacherExtra: """
            , "batch_max_requests": 1000, "batch_max_mb": 100, "batch_price_factor": 0.4, "batch_poll_seconds": 90, "batch_rounds": 5
            """, sweepExtra: #", "via": "batch", "budget": 12.5"#), file: "h.json")
        let b = try #require(c.teacher(named: "oai")).batch
        #expect(b.maxRequestsPerFile == 1000 && b.maxBytesPerFile == 100_000_000 && b.priceFactor == 0.4)
        #expect(b.pollSeconds == 90 && b.maxPollSeconds == 90 && b.maxRounds == 5)
        let s = try #require(c.sweep(named: "s"))
        #expect(s.via == .batch && s.budget == 12.5)
    }

    @Test func defaultsAreOpenAIsLimitsAndOneRequestPerJob() throws {
        let c = try DaemonConfig.parse(Self.config(), file: "h.json")
        #expect(try #require(c.teacher(named: "oai")).batch == BatchSettings())
        #expect(try #require(c.sweep(named: "s")).via == .requests)
    }

    @Test func badValuesAndUnknownKeysNameTheField() throws {
        let cases: [(teacher: String, sweep: String, field: String, says: String)] = [
            (#", "batch_max_request": 5"#, "", "teachers[0].batch_max_request", "unknown key"),
            (#", "batch_max_mb": 0"#, "", "teachers[0].batch_max_mb", "at least 1"),
            (#", "batch_price_factor": -1"#, "", "teachers[0].batch_price_factor", "at least"),
            (#", "batch_poll_seconds": 0"#, "", "teachers[0].batch_poll_seconds", "greater than 0"),
            ("", #", "via": "batches""#, "sweeps[0].via", "\"requests\" or \"batch\""),
        ]
        for c in cases {
            do {
                _ = try DaemonConfig.parse(Self.config(teacherExtra: c.teacher, sweepExtra: c.sweep), file: "h.json")
                Issue.record("accepted \(c.teacher)\(c.sweep)")
            } catch {
                #expect(error.field == c.field, "\(error)")
                #expect(error.description.contains(c.says), "\(error)")
                #expect(error.description.contains("h.json"), "\(error)")
            }
        }
    }

    @Test func aBudgetedBatchSweepNeedsMaxTokens() throws {
        let text = Array("""
            {"teachers": [{"name": "oai", "base_url": "https://api.example.com/v1", "model": "m"}],
             "sweeps": [{"name": "s", "prompt_set": "p", "teacher": "oai", "via": "batch", "budget": 5}]}
            """.utf8)
        #expect {
            _ = try DaemonConfig.parse(text, file: "h.json")
        } throws: { ($0 as? DaemonConfigError)?.field == "sweeps[0].budget" && "\($0)".contains("max_tokens") }
    }
}
