import HarvestCore

/// Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) with a header row.
struct CSVPromptParser {
    var reader: PromptFileReader

    func parse(_ bytes: [UInt8], name: String) throws(ImportError) -> [PromptInput] {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ImportError(InputLocation(file: name, line: 0), "the file is not valid UTF-8")
        }
        let records = try Self.records(bytes, name: name)
        guard let header = records.first else { throw ImportError(InputLocation(file: name, line: 1), "the file is empty") }
        let columns = header.fields.map { $0.trimming(" \u{FEFF}") }
        guard let promptIndex = columns.firstIndex(of: reader.promptColumn) else {
            throw ImportError(InputLocation(file: name, line: 1), field: reader.promptColumn,
                              "no column named \"\(reader.promptColumn)\" (columns: \(columns.joined(separator: ", "))); choose one with --column")
        }
        let idIndex = columns.firstIndex(of: reader.idColumn)
        let systemIndex = columns.firstIndex(of: reader.systemColumn)
        let answerIndex = columns.firstIndex(of: reader.answerColumn)
        let verifierIndex = columns.firstIndex(of: reader.verifierField)
        var out: [PromptInput] = []
        for record in records.dropFirst() {
            let loc = InputLocation(file: name, line: record.line)
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                throw ImportError(loc, "expected \(columns.count) fields as in the header, found \(record.fields.count)")
            }
            let prompt = record.fields[promptIndex]
            guard !prompt.isEmpty else { throw ImportError(loc, field: reader.promptColumn, "is empty") }
            var messages: [ChatMessage] = []
            if let systemIndex, !record.fields[systemIndex].isEmpty {
                messages.append(ChatMessage(role: "system", content: record.fields[systemIndex]))
            } else if let s = reader.defaultSystem {
                messages.append(ChatMessage(role: "system", content: s))
            }
            messages.append(ChatMessage(role: "user", content: prompt))
            var id = PromptFileReader.defaultId(messages)
            if let idIndex, !record.fields[idIndex].isEmpty { id = record.fields[idIndex] }
            let reference = answerIndex.map { record.fields[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            let verifier = try ReferenceFields.check(reference: reference, verifier: verifierIndex.map { record.fields[$0] },
                                                     defaultVerifier: reader.defaultVerifier, at: loc,
                                                     answerField: reader.answerColumn, verifierField: reader.verifierField)
            out.append(PromptInput(externalId: id, messages: messages, source: loc, reference: reference, verifier: verifier))
        }
        return out
    }

    struct Record {
        var line: Int
        var fields: [String]
    }

    static func records(_ bytes: [UInt8], name: String) throws(ImportError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var i = 0
        var inQuotes = false
        var quotedFieldStartLine = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if c == 0x0A { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                guard field.isEmpty else {
                    throw ImportError(InputLocation(file: name, line: line), "a quote inside an unquoted field (quote the whole field and double inner quotes)")
                }
                inQuotes = true
                quotedFieldStartLine = line
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                records.append(Record(line: recordLine, fields: fields))
                fields.removeAll()
                line += 1
                recordLine = line
            default:
                field.append(c)
            }
            i += 1
        }
        if inQuotes {
            throw ImportError(InputLocation(file: name, line: quotedFieldStartLine), "a quoted field is never closed")
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(String(decoding: field, as: UTF8.self))
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }
}

extension String {
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
