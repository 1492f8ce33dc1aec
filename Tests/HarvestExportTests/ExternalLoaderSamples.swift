import Foundation
import HarvestCore
import HarvestExport
import Testing

/// Writes sample exports for checking with outside loaders (e.g. Hugging Face `datasets`); runs only when
/// `HARVEST_EXPORT_SAMPLES` names a folder, which must not hold an earlier run.
@Suite("External loader samples", .enabled(if: ProcessInfo.processInfo.environment["HARVEST_EXPORT_SAMPLES"] != nil))
struct ExternalLoaderSamples {
    @Test func writeSamples() throws {
        let root = try #require(ProcessInfo.processInfo.environment["HARVEST_EXPORT_SAMPLES"])
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Many rows without a system prompt first, then the fixtures: optional keys appear only late in the file.
        let rows = syntheticRows(60_000, answerBytes: 200).map { row in
            var row = row
            row.choice.logprobs = (0..<4).map { i in
                TokenLogprob(token: "t\(i)", logprob: -0.5, tokenId: 100 + i,
                             top: (0..<3).map { TopLogprob(token: "a\($0)", logprob: -Double($0 + 1), tokenId: 200 + $0) })
            }
            return row
        } + Fixtures.all
        for format in ExportFormats.all {
            for mode in format.reasoningModes {
                let plan = ExportPlan(format: format, options: ExportOptions(reasoning: mode), output: .directory("\(root)/\(format.name)-\(mode)"),
                                      split: try SplitSpec(parsing: "train=0.9,val=0.1"), shards: ShardLimits(maxBytes: 8 << 20),
                                      gzip: mode == .drop)
                let pipeline = try ExportPipeline(plan: plan, harvestVersion: "samples")
                for row in rows { try pipeline.consume(row) }
                _ = try pipeline.finish()
            }
        }
    }
}
