import HarvestJSON
import HarvestKit
import SQLiteStore

/// What `harvest status` shows, as a table or JSON.
struct StatusReport {
    var sets: [(name: String, count: Int)]
    var sweeps: [SweepStatus]
    var runs: [RunStatus]
    var spend: [Int64: Double]
    /// Provider batches (`--via batch`), oldest first.
    var batches: [BatchRecord] = []

    func run(of sweep: SweepStatus) -> RunStatus? { runs.first { $0.sweepId == sweep.id } }

    /// The sweep's spend when its active run is finished at the run's mean cost so far.
    func projected(_ sweep: SweepStatus) -> Double? {
        guard let total = spend[sweep.id], let run = run(of: sweep), run.state == .active, run.answers > 0 else { return nil }
        return total + run.projectedSpend - run.spent
    }

    func table() -> String {
        var out = ""
        if sets.isEmpty { out += "no prompt sets yet: harvest import FILE --set NAME\n" }
        for s in sets { out += "set \(s.name): \(s.count) prompts\n" }
        guard !sweeps.isEmpty else { return out }
        out += "\n" + pad("sweep", 6) + pad("name", 22) + pad("done/total", 14) + pad("failed", 8) + pad("req/s", 8)
            + pad("tokens out", 12) + pad("spend", 11) + pad("projected", 11) + pad("ETA", 9) + "run\n"
        var notes: [String] = []
        for s in sweeps {
            let run = run(of: s)
            let active = run?.state == .active
            out += pad("\(s.id)", 6) + pad(s.name, 22) + pad("\(s.done)/\(s.total)", 14) + pad("\(s.failed)", 8)
            out += pad(active ? ProgressLine.fixed(run!.requestsPerSecond, 1) : "-", 8) + pad("\(s.completionTokens)", 12)
            out += pad(spend[s.id].map { money($0) } ?? "-", 11) + pad(projected(s).map { money($0) } ?? "-", 11)
            out += pad(run?.etaSeconds.map { ProgressLine.duration($0) } ?? "-", 9)
            out += run.map { "#\($0.id) \($0.state.rawValue)" } ?? "-"
            out += "\n"
            if let run, let budget = run.budget {
                let verb = run.state == .budget ? "stopped at its budget" : "budget"
                notes.append("run #\(run.id) of \(s.name): \(verb): spent \(money(run.spent)) of \(money(budget))"
                             + (run.state == .budget ? "; \(run.open) jobs wait for the next run" : ""))
            }
        }
        for note in notes { out += note + "\n" }
        out += batchTable()
        return out
    }

    /// Open batches one per line, then the collected ones counted by the provider's final status.
    func batchTable() -> String {
        guard !batches.isEmpty else { return "" }
        var out = "\nbatches (--via batch):\n"
        for b in batches where b.stage != .collected {
            out += "  batch \(b.id) of sweep \(b.sweepId): \(b.providerStatus ?? b.stage.rawValue), \(b.requests) requests"
            out += b.providerBatchId.map { ", provider id \($0)" } ?? ""
            out += "; collected by harvest serve (via: batch) or the same harvest sweep --run --via batch command\n"
        }
        var ended: [String: (batches: Int, answered: Int, errored: Int, returned: Int)] = [:]
        for b in batches where b.stage == .collected {
            var e = ended[b.providerStatus ?? "unknown", default: (0, 0, 0, 0)]
            e.batches += 1; e.answered += b.answered; e.errored += b.errored; e.returned += b.returned
            ended[b.providerStatus ?? "unknown"] = e
        }
        for (status, e) in ended.sorted(by: { $0.key < $1.key }) {
            out += "  \(status): \(e.batches) batches collected, \(e.answered) answers, \(e.errored) line errors, \(e.returned) returned unrun\n"
        }
        return out
    }

    func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("sets")
        w.beginArray()
        for s in sets {
            w.beginObject(); w.key("name"); w.string(s.name); w.key("prompts"); w.int(s.count); w.endObject()
        }
        w.endArray()
        w.key("sweeps")
        w.beginArray()
        for s in sweeps {
            w.beginObject()
            w.key("id"); w.int(Int(s.id))
            w.key("name"); w.string(s.name)
            w.key("set"); w.string(s.setName)
            w.key("model"); w.string(s.model)
            w.key("base_url"); w.string(s.baseURL)
            w.key("total"); w.int(s.total)
            w.key("pending"); w.int(s.pending)
            w.key("leased"); w.int(s.leased)
            w.key("done"); w.int(s.done)
            w.key("failed"); w.int(s.failed)
            w.key("prompt_tokens"); w.int(s.promptTokens)
            w.key("completion_tokens"); w.int(s.completionTokens)
            w.key("spend"); w.double(spend[s.id] ?? 0)
            w.key("projected_spend"); if let p = projected(s) { w.double(p) } else { w.null() }
            w.key("run")
            if let run = run(of: s) { write(run, to: &w) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("batches")
        w.beginArray()
        for b in batches {
            w.beginObject()
            w.key("id"); w.int(Int(b.id))
            w.key("sweep_id"); w.int(Int(b.sweepId))
            w.key("stage"); w.string(b.stage.rawValue)
            w.key("status"); w.stringOrNull(b.providerStatus)
            w.key("provider_batch_id"); w.stringOrNull(b.providerBatchId)
            w.key("requests"); w.int(b.requests)
            w.key("answered"); w.int(b.answered)
            w.key("errored"); w.int(b.errored)
            w.key("returned"); w.int(b.returned)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.string
    }

    private func write(_ r: RunStatus, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.int(Int(r.id))
        w.key("state"); w.string(r.state.rawValue)
        w.key("created_at"); w.double(r.createdAt)
        w.key("finished_at"); if let f = r.finishedAt { w.double(f) } else { w.null() }
        w.key("requested_by"); w.stringOrNull(r.requestedBy)
        w.key("total"); w.int(r.total)
        w.key("pending"); w.int(r.pending)
        w.key("leased"); w.int(r.leased)
        w.key("done"); w.int(r.done)
        w.key("failed"); w.int(r.failed)
        w.key("prompt_tokens"); w.int(r.promptTokens)
        w.key("completion_tokens"); w.int(r.completionTokens)
        w.key("answers_paid"); w.int(r.answers)
        w.key("spend"); w.double(r.spent)
        w.key("budget"); if let b = r.budget { w.double(b) } else { w.null() }
        w.key("projected_spend"); w.double(r.projectedSpend)
        w.key("req_per_s"); w.double(r.state == .active ? r.requestsPerSecond : 0)
        w.key("eta_s"); if let e = r.etaSeconds { w.double(e) } else { w.null() }
        w.endObject()
    }

    private func money(_ v: Double) -> String { ProgressLine.fixed(v, v >= 100 ? 2 : 4) }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width - 1)) + " " : s + String(repeating: " ", count: width - s.count)
    }
}
