import ArgumentParser
import HarvestJSON
import HarvestKit
import SQLiteStore

/// `harvest status`: per-sweep progress, read from the database (works while a sweep runs or with none).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show prompt sets and sweeps with their job counts.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        global.bootstrapLogging()
        do {
            let store = try SQLiteStore(path: global.databasePath)
            let sets = try store.setNames()
            let sweeps = try store.sweepStatuses()
            if json {
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
                    w.endObject()
                }
                w.endArray()
                w.endObject()
                print(w.string)
                return
            }
            print("database \(global.databasePath)")
            if sets.isEmpty { print("no prompt sets yet: harvest import FILE --set NAME") }
            for s in sets { print("set \(s.name): \(s.count) prompts") }
            if !sweeps.isEmpty {
                print("")
                print(pad("sweep", 6) + pad("set", 14) + pad("model", 24) + pad("done", 10) + pad("total", 10) + pad("failed", 8) + pad("pending", 9) + "tokens out")
            }
            for s in sweeps {
                print(pad("\(s.id)", 6) + pad(s.setName, 14) + pad(s.model, 24) + pad("\(s.done)", 10) + pad("\(s.total)", 10)
                      + pad("\(s.failed)", 8) + pad("\(s.pending + s.leased)", 9) + "\(s.completionTokens)")
            }
        } catch {
            throw fail(error)
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width - 1)) + " " : s + String(repeating: " ", count: width - s.count)
    }
}
