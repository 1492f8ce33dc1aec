import SQLiteStore

/// The provider-batch part of `/metrics`: batches and their lines by state, and one info sample per open batch
/// with the provider's id.
enum PrometheusBatches {
    /// Renders the batch families from the database's `batches` table.
    static func render(counts: [BatchStateCount], open: [BatchRecord]) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
            out += name + "{" + labels.map { "\($0.0)=\"\(PrometheusText.escape($0.1))\"" }.joined(separator: ",") + "} \(value)\n"
        }
        family("harvest_batches", "gauge",
               "Provider batches by state: the provider's status (prepared/uploaded before the batch exists there), open or collected.")
        for c in counts { sample("harvest_batches", [("state", c.state), ("open", c.collected ? "false" : "true")], c.batches) }
        family("harvest_batch_lines", "gauge",
               "Lines of provider batches by state and outcome (requested, answered, errored, returned to pending).")
        for c in counts {
            let labels = [("state", c.state), ("open", c.collected ? "false" : "true")]
            sample("harvest_batch_lines", labels + [("outcome", "requested")], c.requests)
            sample("harvest_batch_lines", labels + [("outcome", "answered")], c.answered)
            sample("harvest_batch_lines", labels + [("outcome", "errored")], c.errored)
            sample("harvest_batch_lines", labels + [("outcome", "returned")], c.returned)
        }
        family("harvest_batch_open_requests", "gauge", "Lines of each open provider batch, with harvest's id and the provider's id and status.")
        for b in open {
            sample("harvest_batch_open_requests", [("batch", "\(b.id)"), ("provider_id", b.providerBatchId ?? ""),
                                                   ("state", b.providerStatus ?? b.stage.rawValue)], b.requests)
        }
        return out
    }
}
