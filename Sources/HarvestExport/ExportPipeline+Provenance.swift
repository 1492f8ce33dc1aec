extension ExportPipeline {
    /// The manifest's `provenance` from the rows written (and, for `kd`, the format's settings).
    func provenance() -> ExportManifest.Provenance {
        var p = ExportManifest.Provenance()
        p.logprobModes = stats.logprobModes.sorted()
        p.temperatures = stats.temperatures.sorted { a, b in
            switch (a, b) {
            case (nil, _): return b != nil
            case (_, nil): return false
            case let (x?, y?): return x < y
            }
        }
        p.maxTokenId = stats.maxTokenId
        if let kd = plan.format as? KDFormat {
            let written: Set<Double?> = kd.temperature.map { [$0] } ?? stats.temperatures
            let single = written.count == 1 ? written.first! : nil
            p.kd = .init(shape: kd.shape, closingTokenIds: kd.shape == .current ? kd.closingTokenIds : [],
                         topK: stats.kdTopK.sorted(), temperature: single, mixedTemperatures: written.count > 1)
        }
        return p
    }
}
