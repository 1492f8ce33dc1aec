import Foundation
import HarvestCore
import HarvestDaemon
import HarvestJSON
import HarvestKit

/// The teacher of `harvest sweep SET --run` and `harvest demo`: a configured teacher of `--config` (chosen by
/// `--teacher-name`, or the only one) or one described by flags alone; flags override single fields.
enum SweepTeacher {
    /// Resolves the spec. An empty `baseURLs` means the built-in mock teacher. Throws ``DaemonConfigError``
    /// (exit 4) for an unreadable config or a teacher name it does not define.
    static func resolve(configPath: String?, options: TeacherOptions, traffic: TrafficFlags?, maxInFlight: Int?, maxAttempts: Int?,
                        keepRaw: Bool) throws -> TeacherSpec {
        var spec: TeacherSpec?
        if let configPath {
            let config = try DaemonConfig.load(path: configPath)
            let known = config.teachers.map(\.name)
            if let name = traffic?.teacherName {
                spec = config.teacher(named: name)
                if spec == nil, options.teacher.isEmpty {
                    throw DaemonConfigError(file: configPath, field: "teachers", message: "no teacher named \"\(name)\" (configured: "
                                            + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ") — check --teacher-name, or give --teacher URL")
                }
            } else if options.teacher.isEmpty {
                guard config.teachers.count <= 1 else {
                    throw DaemonConfigError(file: configPath, field: "teachers", message: "defines \(known.count) teachers ("
                                            + known.joined(separator: ", ") + "): choose one with --teacher-name NAME")
                }
                spec = config.teachers.first
            }
        }
        var s = spec ?? TeacherSpec(name: traffic?.teacherName ?? TeacherSpec.defaultName(baseURLs: options.teacher, model: options.model ?? "mock-teacher",
                                                                                          endpoint: options.endpoint.flatMap(EndpointKind.init(rawValue:)) ?? .chat),
                                    baseURLs: options.teacher, model: options.model ?? "mock-teacher")
        if !options.teacher.isEmpty { s.baseURLs = options.teacher }
        if let model = options.model { s.model = model }
        if let kind = options.endpoint.flatMap(EndpointKind.init(rawValue:)) { s.endpoint = kind }
        if let server = options.server.flatMap(TeacherServer.init(rawValue:)) { s.server = server }
        if let env = options.apiKeyEnv { s.apiKeyEnv = env }
        if let v = options.maxTokens { s.sampling.maxTokens = v }
        if let v = options.temperature { s.sampling.temperature = v }
        if let v = options.topP { s.sampling.topP = v }
        if let v = options.seed { s.sampling.seed = v }
        if !options.stop.isEmpty { s.sampling.stop = options.stop }
        if let v = options.logprobs { s.sampling.topLogprobs = v }
        if options.tokenIds { s.sampling.tokenIds = true }
        if let extra = options.extraBody, case .object(let members)? = try? JSONValue.parse(extra) { s.sampling.extraBody = members }
        if let form = options.score.flatMap(ScoreForm.init(flag:)) { s.sampling.score = form }
        try s.sampling.prepareScoring(endpoint: s.endpoint)
        if let e = s.server.unsupported(s.sampling) { throw e }
        if let v = options.timeout { s.totalTimeout = v }
        if let v = maxInFlight { s.limits.maxInFlight = v }
        if let v = maxAttempts { s.maxAttempts = v }
        if keepRaw { s.keepRaw = true }
        traffic?.apply(to: &s)
        return s
    }
}
