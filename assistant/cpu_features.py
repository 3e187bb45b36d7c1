"""Does the installed llama.cpp build fit this CPU?

`make setup` compiles llama-cpp-python for the machine it runs on, with that CPU's vector instructions
(AVX-512 or AVX2: prompts read about 30% faster than with a portable build). A build carried to a CPU
without them (a Docker image built elsewhere, a copied virtualenv) dies with "Illegal instruction" at
its first use, and takes the whole app with it. This finds out first, in a child process, so that the
assistant can say so and answer without the model instead.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

# llama.cpp's names for the instruction sets a build uses -> the flags Linux lists for a CPU that has them
_LINUX_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}

_PROBE = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
_REBUILD = "build it again on this machine (`rm -rf .venv && make setup`)"


def missing(system_info: str, cpu_flags: set[str]) -> list[str]:
    """Instruction sets the build uses (llama.cpp's system info: "AVX2 = 1 | ...") that the CPU lacks."""
    used = re.findall(r"\b([A-Z0-9_]+) = 1\b", system_info)
    return [name for name in used if name in _LINUX_FLAGS and _LINUX_FLAGS[name] not in cpu_flags]


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """This CPU's feature flags (Linux), or None where they cannot be read."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    line = next((line for line in text.splitlines() if line.startswith("flags")), None)
    return set(line.partition(":")[2].split()) if line else None


@lru_cache(maxsize=1)
def llama_build_problem() -> str | None:
    """What is wrong with the installed llama.cpp build on this CPU, with the fix; None when it fits
    (or when llama-cpp-python is not installed at all, which the caller reports itself)."""
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None  # the probe itself could not run: loading the model will tell
    if probe.returncode == -signal.SIGILL:
        return f"llama-cpp-python was compiled for another CPU (illegal instruction); {_REBUILD}"
    if probe.returncode != 0:
        return None
    flags = cpu_flags()
    lacking = missing(probe.stdout, flags) if flags is not None else []
    if lacking:
        return f"llama-cpp-python was compiled for a CPU with {', '.join(lacking)}, which this one lacks; {_REBUILD}"
    if "AMX_INT8 = 1" in probe.stdout:
        # its weight buffers in Intel AMX crash llama.cpp 0.3.36 in the first decode (a segmentation fault, seen
        # on a Sapphire Rapids Xeon); `make setup` builds without AMX (-mno-amx-*)
        return f"llama-cpp-python was compiled with Intel AMX, which crashes it at the first answer; {_REBUILD}"
    return None
