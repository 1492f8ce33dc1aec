"""Checks harvest exports with LLaMA-Factory's own dataset loader (no training, no model, no tokenizer): the
dataset_info.json entries harvest writes in each manifest are read by `llamafactory.data.parser.get_dataset_list`,
each dataset is loaded by `llamafactory.data.loader._get_merged_dataset` (its `load_dataset` call and the
alpaca/sharegpt converter that produces `_prompt`, `_response`, `_system`), and the aligned rows are compared with
the manifest: row count, every row with a prompt and a response (the converter empties rows it cannot read), the
reasoning kept inline as <think>…</think>, system prompts and multi-turn history carried over.
Usage: check_llamafactory_loader.py WORK   (prints PASS/FAIL lines, also to WORK/results-llamafactory-loader.txt)
"""
import importlib.metadata as md
import json
import os
import sys
from types import SimpleNamespace

os.environ.setdefault("DISABLE_VERSION_CHECK", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
work = sys.argv[1]
os.chdir(work)

# llamafactory.data imports torchaudio at module level for its audio plugin, which text datasets never use. torchaudio
# has no build for every torch (none for torch 2.13, the CPU wheel this check ran with): then an empty stand-in module
# is registered so the import succeeds, and the run says so.
try:
    import torchaudio  # noqa: F401
    # check-trainers.sh puts a stand-in into the venv when the real torchaudio does not import (see standins/).
    stub = " (torchaudio: stand-in, no build for this torch)" if getattr(torchaudio, "HARVEST_STAND_IN", False) else ""
except Exception:  # noqa: BLE001
    import importlib.machinery
    import types
    stand_in = types.ModuleType("torchaudio")
    stand_in.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)  # transformers probes find_spec()
    sys.modules["torchaudio"] = stand_in
    stub = " (torchaudio stubbed: not installable for this torch)"

from llamafactory.data.loader import _get_merged_dataset  # noqa: E402
from llamafactory.hparams import DataArguments  # noqa: E402

info, rows, files = {}, {}, {}
for name in sorted(os.listdir(".")):
    if not name.endswith(".manifest.json"):
        continue
    m = json.load(open(name))
    stem = name[: -len(".manifest.json")]
    for key, entry in (m["load"]["llamafactory_dataset_info"] or {}).items():
        info[f"{stem}:{key}"] = entry
        fname = entry["file_name"]
        picked = [f["path"] for f in m["files"] if f["path"] == fname or f["path"].startswith(fname + "/")]
        rows[f"{stem}:{key}"] = sum(f["rows"] for f in m["files"] if f["path"] in picked)
        files[f"{stem}:{key}"] = picked
with open("dataset_info.json", "w") as f:
    json.dump(info, f, indent=1)

# What the harvested rows hold, from the raw export (openai layout keeps every message): rows with reasoning,
# rows with a system prompt, rows with earlier turns.
raw = [json.loads(line) for line in open("openai.jsonl")]
think = sum(1 for r in raw if r["messages"][-1]["content"].startswith("<think>"))
system = sum(1 for r in raw if r["messages"][0]["role"] == "system")
history = sum(1 for r in raw if sum(1 for m in r["messages"] if m["role"] == "user") > 1)

versions = ", ".join(f"{p} {md.version(p)}" for p in ["llamafactory", "datasets", "transformers", "torch"]) + stub
print(f"versions: {versions}", flush=True)
results = [f"# {versions}"]
model_args = SimpleNamespace(cache_dir=None, hf_hub_token=None, ms_hub_token=None, om_hub_token=None)
training_args = SimpleNamespace(local_process_index=0, seed=42, dataloader_num_workers=0)
cases = [n for n in ["sharegpt.jsonl:data", "alpaca.jsonl:data", "sharegpt-split:data_train", "sharegpt-split:data_val",
                     "alpaca-split:data_train", "alpaca-split:data_val", "sharegpt-shards:data", "alpaca-shards:data",
                     "sharegpt-3way:data_train", "sharegpt-3way:data_test", "tiny-split:data_train", "openai.jsonl:data",
                     "openai-shards:data"] if n in info]
for name in cases:
    data_args = DataArguments(dataset=name, dataset_dir=work, overwrite_cache=True, preprocessing_num_workers=None)
    try:
        ds = _get_merged_dataset([name], model_args, data_args, training_args, stage="sft", return_dict=True)[name]
        n = len(ds)
        empty = sum(1 for r in ds if not r["_prompt"] or not r["_response"])
        with_think = sum(1 for r in ds if r["_response"] and r["_response"][0]["content"].startswith("<think>"))
        with_system = sum(1 for r in ds if r["_system"])
        with_history = sum(1 for r in ds if len(r["_prompt"]) > 1)
        whole = name.endswith(".jsonl:data") or name.endswith("-shards:data")
        ok = n == rows[name] and empty == 0 and n > 0
        if whole:  # the whole set: the counts must match the raw export's exactly
            ok = ok and with_think == think and with_system == system and with_history == history
        else:
            ok = ok and (with_think > 0 or n < 10)
        detail = (f"{n} rows (manifest {rows[name]}), {empty} unreadable, {with_think} with <think> reasoning"
                  f"{f' (export {think})' if whole else ''}, {with_system} with a system prompt{f' ({system})' if whole else ''}, "
                  f"{with_history} with history{f' ({history})' if whole else ''}")
    except Exception as e:  # noqa: BLE001
        ok, detail = False, f"{type(e).__name__}: {e}"[:600]
    line = f"{'PASS' if ok else 'FAIL'} llamafactory loader {name} — {detail}"
    print(line, flush=True)
    results.append(line)

with open(os.path.join(work, "results-llamafactory-loader.txt"), "w") as f:
    f.write("\n".join(results) + "\n")
sys.exit(0 if all(r.startswith(("PASS", "#")) for r in results) else 1)
