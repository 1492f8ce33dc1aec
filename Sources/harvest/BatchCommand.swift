import ArgumentParser
import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import HarvestStore

/// `harvest batch cancel ID`: asks the provider to cancel a batch sent with `sweep --run --via batch`.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Manage provider batches sent with harvest sweep SET --run --via batch.",
        subcommands: [Cancel.self])

    /// `harvest batch cancel ID`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a running batch at the provider; results already done are kept.",
            discussion: """
                ID is harvest's batch number (harvest status lists open batches). The provider stops the batch; run the
                same harvest sweep --run --via batch command with --batch-rounds 1 afterwards to store the answers that
                came back (the jobs without one go back to pending and are not submitted again by that run). Exit codes: 0 cancel requested, 4 the batch is not running at the
                provider, 6 unknown batch, 7 the provider refused or could not be reached.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "harvest's batch number (not the provider's id).")
        var id: Int64

        @Option(help: "Name of the environment variable holding the API key (default: the one the sweep used).")
        var apiKeyEnv: String?

        func run() async throws {
            global.bootstrapLogging()
            do {
                let store = try StoreFactory.open(try global.location())
                defer { store.close() }
                guard let batch = try await store.batch(id: id), let teacher = try await store.batchTeacher(batchId: id) else {
                    printError("no batch \(id) in \(global.databasePath); harvest status lists the batches")
                    throw ExitCode(HarvestExit.unknownName)
                }
                guard batch.stage == .submitted, let providerId = batch.providerBatchId else {
                    let why = batch.stage == .collected ? "it is already collected" : "it was not created at the provider yet (stage \(batch.stage.rawValue)); run the sweep command to resume it"
                    printError("batch \(id) cannot be cancelled: \(why)")
                    throw ExitCode(HarvestExit.badInput)
                }
                let keyEnv = apiKeyEnv ?? teacher.apiKeyEnv
                let apiKey = keyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
                let transport = try CurlTransport()
                defer { transport.shutdown() }
                let api = (BatchWire(rawValue: batch.wire) ?? .openai).client(transport: transport, baseURL: teacher.baseURL, apiKey: apiKey)
                do {
                    let info = try await api.cancel(providerId)
                    try await store.updateBatchStatus(id: id, status: info.status, outputFileId: info.outputFileId,
                                                      errorFileId: info.errorFileId, lastError: nil)
                    printStatus("batch \(id) (\(providerId)) at \(teacher.baseURL): \(info.status), \(info.completed)/\(info.total) done; "
                                + "run the same harvest sweep --run --via batch command with --batch-rounds 1 to store what came back "
                                + "without submitting the rest")
                } catch {
                    printError("\(error)")
                    throw ExitCode(HarvestExit.teacher)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail(error)
            }
        }
    }
}
