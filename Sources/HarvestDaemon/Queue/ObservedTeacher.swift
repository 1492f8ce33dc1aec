import Foundation
import HarvestCore
import HarvestKit

/// A ``TeacherCalling`` decorator that counts every request for the metrics endpoint: status, latency,
/// tokens, spend at the configured prices, and requests in flight. It changes nothing about the call.
struct ObservedTeacher: TeacherCalling {
    let inner: any TeacherCalling
    let teacher: String
    /// The prices in effect (read per request: a reload changes them live).
    let prices: @Sendable () -> TeacherPrices?
    let metrics: DaemonMetrics

    func call(_ job: Job) async -> TeacherCallResult {
        metrics.requestStarted(teacher: teacher)
        let result = await inner.call(job)
        var promptTokens = 0, completionTokens = 0
        if case .success(let answer) = result.outcome {
            promptTokens = answer.response.usage?.promptTokens ?? 0
            completionTokens = answer.response.usage?.completionTokens ?? 0
        }
        let cost = prices()?.cost(promptTokens: promptTokens, completionTokens: completionTokens) ?? 0
        metrics.requestFinished(teacher: teacher, status: result.httpStatus, seconds: result.latencyMs / 1000,
                                promptTokens: promptTokens, completionTokens: completionTokens, cost: cost,
                                at: Date().timeIntervalSince1970)
        return result
    }
}
