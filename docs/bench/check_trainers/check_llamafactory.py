"""Checks harvest exports with LLaMA-Factory's own training entry point: `llamafactory-cli train` for 3 steps (stage
sft, LoRA, the local student model, CPU, no hub access) on each dataset, through the dataset_info.json entries harvest
writes in each manifest.
Usage: check_llamafactory.py WORK STUDENT_DIR [CASE ...]
  CASE: a name from CASES below (default: all of them); runs are sequential, one at a time, under `nice -n 10`.
Prints PASS/FAIL lines, also to WORK/results-llamafactory.txt (appended per case, so a run can be split up), and keeps
each run's full log as WORK/lf-train-<case>.log.
"""
import importlib.metadata as md
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

work, student = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
os.chdir(work)
cli = os.path.join(os.path.dirname(sys.executable), "llamafactory-cli")

# One dataset_info.json for every manifest's entries, named "<manifest stem>:<entry>".
info, rows = {}, {}
for name in sorted(os.listdir(".")):
    if not name.endswith(".manifest.json"):
        continue
    m = json.load(open(name))
    stem = name[: -len(".manifest.json")]
    for key, entry in (m["load"]["llamafactory_dataset_info"] or {}).items():
        info[f"{stem}:{key}"] = entry
        fname = entry["file_name"]
        rows[f"{stem}:{key}"] = sum(f["rows"] for f in m["files"] if f["path"] == fname or f["path"].startswith(fname + "/"))
with open("dataset_info.json", "w") as f:
    json.dump(info, f, indent=1)

# case name -> (train entries, eval entries). Every format with a LLaMA-Factory layout as one file; a split folder
# trained on its train entry and evaluated on its val entry; a sharded folder through its one folder entry; a split +
# sharded folder through its per-shard train entries (listed together, as LLaMA-Factory merges a comma-separated list).
CASES = {
    "sharegpt": (["sharegpt.jsonl:data"], []),
    "alpaca": (["alpaca.jsonl:data"], []),
    "openai": (["openai.jsonl:data"], []),
    "sharegpt-split": (["sharegpt-split:data_train"], ["sharegpt-split:data_val"]),
    "openai-shards": (["openai-shards:data"], []),
    "sharegpt-3way": ([k for k in sorted(info) if k.startswith("sharegpt-3way:data_train_")], ["sharegpt-3way:data_val"]),
}
wanted = sys.argv[3:] or list(CASES)
unknown = [c for c in wanted if c not in CASES]
if unknown:
    sys.exit(f"unknown case(s) {unknown}; known: {list(CASES)}")

versions = ", ".join(f"{p} {md.version(p)}" for p in ["llamafactory", "transformers", "datasets", "trl", "peft", "torch"])
try:
    import torchaudio  # noqa: F401
    if getattr(torchaudio, "HARVEST_STAND_IN", False):
        versions += " (torchaudio: stand-in, no build for this torch)"
except ImportError:
    pass
print(f"versions: {versions}", flush=True)
results_path = os.path.join(work, "results-llamafactory.txt")
with open(results_path, "a") as f:
    f.write(f"# {versions}\n")

failed = 0
for case in wanted:
    train, evals = CASES[case]
    want_rows = sum(rows[n] for n in train)
    want_eval = sum(rows[n] for n in evals)
    with tempfile.TemporaryDirectory() as out:
        cfg = {
            "model_name_or_path": student, "trust_remote_code": False, "stage": "sft", "do_train": True,
            "finetuning_type": "lora", "lora_target": "all", "dataset": ",".join(train), "dataset_dir": work,
            "template": "default", "cutoff_len": 96, "overwrite_cache": True, "preprocessing_num_workers": 1,
            "output_dir": out, "max_steps": 3, "per_device_train_batch_size": 2, "logging_steps": 1,
            "report_to": "none", "save_strategy": "no", "bf16": False, "fp16": False, "seed": 42,
        }
        if evals:
            cfg.update({"eval_dataset": ",".join(evals), "do_eval": True, "per_device_eval_batch_size": 4})
        # YAML, not JSON: LLaMA-Factory 0.9.5 reads a .json config with json.load(Path) and fails (AttributeError).
        path = os.path.join(out, "train.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f)
        # No DISABLE_VERSION_CHECK: LLaMA-Factory's own dependency check runs, as for a user (the slim venv is within it).
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="", HF_HUB_OFFLINE="1",
                   HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="2")
        started = time.monotonic()
        p = subprocess.run(["nice", "-n", "10", cli, "train", path], cwd=work, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
    log = p.stdout + p.stderr
    with open(os.path.join(work, f"lf-train-{case}.log"), "w") as f:
        f.write(log)
    # transformers 5 logs the step dicts with quoted values: {'loss': '5.06', ...}
    seen = re.findall(r"Num examples = ([\d,]+)", log)
    got = [int(s.replace(",", "")) for s in seen]
    losses = [float(x) for x in re.findall(r"'loss': '?([\d.]+(?:e[-+]?\d+)?)'?", log)]
    # the evaluation after training prints a metrics block: "  eval_loss               =     5.3735"
    eval_loss = re.findall(r"eval_loss'?:? *=? *'?([\d.]+(?:e[-+]?\d+)?)", log)
    ok = (p.returncode == 0 and got[:1] == [want_rows] and len(losses) >= 3
          and all(math.isfinite(x) and x > 0 for x in losses))
    detail = (f"rc {p.returncode}, {got[0] if got else None} train examples (manifest {want_rows}), "
              f"losses {' '.join(f'{x:.3f}' for x in losses)}")
    if evals:
        ok = ok and got[1:2] == [want_eval] and len(eval_loss) >= 1
        detail += f", eval {got[1] if len(got) > 1 else None} examples (manifest {want_eval}), eval_loss "
        detail += f"{float(eval_loss[-1]):.3f}" if eval_loss else "missing"
    detail += f", {seconds / 60:.1f} min"
    if not ok:
        detail += " — " + " | ".join(log.strip().splitlines()[-6:])[:600]
    line = f"{'PASS' if ok else 'FAIL'} llamafactory train 3 steps {case} ({','.join(train)}" \
           f"{' eval ' + ','.join(evals) if evals else ''}) — {detail}"
    print(line, flush=True)
    with open(results_path, "a") as f:
        f.write(line + "\n")
    failed += 0 if ok else 1

sys.exit(1 if failed else 0)
