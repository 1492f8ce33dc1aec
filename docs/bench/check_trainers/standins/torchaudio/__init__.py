"""Stand-in for `torchaudio` in the LLaMA-Factory check's slim virtual environment (not the real package).

LLaMA-Factory 0.9.5 imports torchaudio at module level in `llamafactory/data/mm_plugin.py` for its audio plugin, which
text datasets never reach. torchaudio's last release (2.11.1) has no build for the CPU torch this check uses (2.13), and
its compiled extension refuses to load against it. check-trainers.sh copies this folder into the environment and puts it
on the path with a .pth file, so `llamafactory-cli train` starts; any audio call fails loudly instead of silently.
No package metadata is installed with it, so transformers still reports torchaudio as unavailable.
"""

HARVEST_STAND_IN = True


def _refuse(*_args, **_kwargs):
    raise RuntimeError("torchaudio stand-in (harvest check-trainers): audio is not supported in this environment")


load = _refuse


class _Functional:
    resample = staticmethod(_refuse)


functional = _Functional()
