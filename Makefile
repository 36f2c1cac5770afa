# Deploy Studio: two commands set everything up on a fresh machine.
#   make run    -> installs (first time) and opens the window, or runs the demo headless
#   make test   -> installs (first time) and runs ruff + the default test suite
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml scripts/install-verify-tools.sh 2>/dev/null | md5sum | cut -c1-8)
OUT ?= out/demo

.PHONY: install run demo test test-all lint bench clean swift-toolchain

$(STAMP):
	bash scripts/setup.sh
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(BIN)/deploy-studio; \
	else echo "no display: running the headless demo into $(OUT)"; $(BIN)/deploy-studio demo --out $(OUT); fi

demo: $(STAMP)
	$(BIN)/deploy-studio demo --out $(OUT)

# ruff (rules and formatting), import contracts (pyproject [tool.importlinter]), no import
# cycles in the engine, mypy on the engine.
lint: $(STAMP)
	$(BIN)/ruff check core gui tests benchmarks scripts
	$(BIN)/ruff format --check core gui tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_import_cycles.py
	BIN=$(BIN) bash scripts/typecheck.sh

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

test-all: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "slow or not slow"

# Swift 6.0.3 in a Debian 13 chroot (root, ~2 min and ~2.5 GB the first time, cached): the
# Swift type-check of the generated iOS apps (tests/e2e/test_swift_typecheck.py, slow).
swift-toolchain:
	bash scripts/swift_toolchain.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/compare_runtimes.py

clean:
	rm -rf $(VENV) out .pytest_cache
