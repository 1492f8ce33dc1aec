import HarvestJSON

/// The `load` object of a manifest: how to read the export with Hugging Face `datasets` and ready-to-use
/// `dataset_info.json` entries for LLaMA-Factory. Paths are relative to the folder holding the manifest
/// (LLaMA-Factory: set `dataset_dir` to that folder).
///
/// ```json
/// "load": {
///   "datasets": "load_dataset(\"json\", data_files={\"train\": [\"out/data-train.jsonl\"]})",
///   "llamafactory_dataset_info": {"data_train": {"file_name": "out/data-train.jsonl", "formatting": "sharegpt", …}},
///   "llamafactory_note": "…"
/// }
/// ```
struct LoaderHints {
    let manifest: ExportManifest

    /// The `datasets` call that loads exactly the manifest's files, per split.
    var datasetsCall: String {
        let byFile = manifest.files.filter { $0.path != "-" }
        guard !byFile.isEmpty else { return "" }
        if manifest.split == nil {
            let list = byFile.map { Self.quote($0.path) }
            let files = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
            return "load_dataset(\"json\", data_files=\(files), split=\"train\")"
        }
        var parts: [String] = []
        for split in manifest.split?.names ?? [] {
            let list = byFile.filter { $0.split == split }.map { Self.quote($0.path) }
            if !list.isEmpty { parts.append(Self.quote(split) + ": [" + list.joined(separator: ", ") + "]") }
        }
        return "load_dataset(\"json\", data_files={" + parts.joined(separator: ", ") + "})"
    }

    /// LLaMA-Factory's `formatting`, `columns` and `tags` for the format, or nil when it has no LLaMA-Factory layout.
    static func llamaFactoryAttributes(format: String) -> [(String, JSONValue)]? {
        switch format {
        case "sharegpt":
            return [("formatting", .string("sharegpt")),
                    ("columns", .object([("messages", .string("conversations")), ("system", .string("system"))]))]
        case "openai":
            return [("formatting", .string("sharegpt")),
                    ("columns", .object([("messages", .string("messages"))])),
                    ("tags", .object([("role_tag", .string("role")), ("content_tag", .string("content")),
                                      ("user_tag", .string("user")), ("assistant_tag", .string("assistant")),
                                      ("system_tag", .string("system"))]))]
        case "alpaca":
            return [("formatting", .string("alpaca")),
                    ("columns", .object([("prompt", .string("instruction")), ("query", .string("input")),
                                         ("response", .string("output")), ("system", .string("system")),
                                         ("history", .string("history"))]))]
        default:
            return nil
        }
    }

    /// `dataset_info.json` entries: one per split (named `NAME_SPLIT`), or one per file when a split has several
    /// shards (LLaMA-Factory takes one file or one folder per entry: list them all in `--dataset`); an unsplit
    /// folder export is one entry for the whole folder. Nil for gzip (LLaMA-Factory reads plain files only) and
    /// formats LLaMA-Factory does not train on.
    var llamaFactoryEntries: JSONValue? {
        guard !manifest.gzip, let attributes = Self.llamaFactoryAttributes(format: manifest.format) else { return nil }
        let files = manifest.files.filter { $0.path != "-" }
        var entries: [(String, JSONValue)] = []
        func add(_ key: String, _ fileName: String) {
            entries.append((key, .object([("file_name", .string(fileName))] + attributes)))
        }
        if manifest.split == nil {
            if let folder = manifest.folder, files.count > 1 { add(manifest.name, folder) } else if let f = files.first { add(manifest.name, f.path) }
        } else {
            for split in manifest.split?.names ?? [] {
                let inSplit = files.filter { $0.split == split }
                if inSplit.count == 1 {
                    add(manifest.name + "_" + split, inSplit[0].path)
                } else {
                    for f in inSplit { add(manifest.name + "_" + split + "_" + String(f.shard), f.path) }
                }
            }
        }
        return .object(entries)
    }

    /// Writes the `load` object.
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("datasets"); w.string(datasetsCall)
        w.key("llamafactory_dataset_info")
        if let entries = llamaFactoryEntries { w.raw(entries.jsonString) } else { w.null() }
        w.key("llamafactory_note")
        if manifest.gzip && Self.llamaFactoryAttributes(format: manifest.format) != nil {
            w.string("LLaMA-Factory does not read .jsonl.gz: export without --gzip to train with it")
        } else if Self.llamaFactoryAttributes(format: manifest.format) == nil {
            w.string("no LLaMA-Factory layout for --format \(manifest.format): use sharegpt, alpaca or openai")
        } else {
            w.string("paths are relative to the folder holding this manifest: copy these entries into a dataset_info.json "
                + "in that folder (or set dataset_dir to it) and name them in --dataset / eval_dataset")
        }
        w.endObject()
    }

    private static func quote(_ s: String) -> String { JSONValue.string(s).jsonString }
}
