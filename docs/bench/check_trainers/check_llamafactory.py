"""Checks harvest exports with LLaMA-Factory: its own dataset loader and a 3-step training run (`llamafactory-cli train`),
through the dataset_info.json entries harvest writes in each manifest.
Usage: check_llamafactory.py WORK STUDENT_DIR   (prints PASS/FAIL lines, also to WORK/results-llamafactory.txt)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

work, student = sys.argv[1], sys.argv[2]
os.chdir(work)
results = []
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

cases = ["sharegpt.jsonl:data", "alpaca.jsonl:data", "openai.jsonl:data", "sharegpt-split:data_train",
         "alpaca-split:data_train", "openai-shards:data"]
for name in cases:
    with tempfile.TemporaryDirectory() as out:
        cfg = {
            "model_name_or_path": student, "stage": "sft", "do_train": True, "finetuning_type": "lora", "lora_target": "all",
            "dataset": name, "dataset_dir": work, "template": "default", "cutoff_len": 128, "overwrite_cache": True,
            "preprocessing_num_workers": 1, "output_dir": out, "max_steps": 3, "per_device_train_batch_size": 2,
            "logging_steps": 1, "report_to": "none", "save_strategy": "no", "bf16": False, "fp16": False,
        }
        path = os.path.join(out, "train.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, DISABLE_VERSION_CHECK="1", CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="2")
        p = subprocess.run([cli, "train", path], cwd=work, env=env, capture_output=True, text=True)
        log = p.stdout + p.stderr
        seen = re.findall(r"Num examples = ([\d,]+)", log)
        got = int(seen[0].replace(",", "")) if seen else None
        steps = re.findall(r"'loss': ([\d.]+)", log)
        ok = p.returncode == 0 and got == rows[name] and len(steps) >= 3
        detail = f"rc {p.returncode}, {got} examples (manifest {rows[name]}), {len(steps)} logged steps"
        if not ok:
            detail += " — " + " | ".join(log.strip().splitlines()[-6:])[:600]
        line = f"{'PASS' if ok else 'FAIL'} llamafactory train 3 steps {name} — {detail}"
        print(line, flush=True)
        results.append(line)

with open(os.path.join(work, "results-llamafactory.txt"), "w") as f:
    f.write("\n".join(results) + "\n")
sys.exit(0 if all(r.startswith("PASS") for r in results) else 1)
