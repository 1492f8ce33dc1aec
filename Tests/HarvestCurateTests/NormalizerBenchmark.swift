import Foundation
import HarvestCurate
import Testing

/// Normalization throughput; runs only with `HARVEST_BENCH=1` (use `-c release`).
@Suite("Normalizer benchmark", .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct NormalizerBenchmark {
    static func megabytesPerSecond(_ text: String, _ normalizer: TextNormalizer, repeats: Int) -> Double {
        var total = 0
        let start = ContinuousClock.now
        for _ in 0..<repeats { total &+= normalizer.normalize(text).utf8.count }
        #expect(total > 0)
        return Double(text.utf8.count * repeats) / seconds(since: start) / 1e6
    }

    @Test func asciiFastPathAndUnicodePath() {
        let ascii = String(repeating: "The Quick brown fox, jumps over the LAZY dog; again and again.\n", count: 16)
        let latin = String(repeating: "Le Café crème, brûlée à la carte; NAÏVE résumé — déjà vu.\n", count: 16)
        let decomposed = String(repeating: "Cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e, nai\u{308}ve.\n", count: 16)
        let cjk = String(repeating: "今日は良い天気です。明日も晴れるでしょう。\n", count: 16)
        for strip in [false, true] {
            let n = TextNormalizer(stripPunctuation: strip)
            print(String(format: "bench normalize (strip punctuation %@): ASCII %.0f MB/s, Latin-1 accents %.1f MB/s, "
                + "decomposed accents %.1f MB/s, CJK %.1f MB/s", strip ? "on" : "off",
                Self.megabytesPerSecond(ascii, n, repeats: 20_000), Self.megabytesPerSecond(latin, n, repeats: 2_000),
                Self.megabytesPerSecond(decomposed, n, repeats: 2_000), Self.megabytesPerSecond(cjk, n, repeats: 2_000)))
        }
    }
}
