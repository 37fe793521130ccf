# The README's two commands. Both create .venv and install bmrlab into it first;
# a second run only reinstalls when pyproject.toml has changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := bmrlab tests bench pyvisa_bmrsim.py

.PHONY: demo test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,clients]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f out/demo.h5 out/demo_*
	$(BIN)/bmrlab characterize --out out --sample demo

# lint, format and types first (CI enforces them), then the suite
test: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out
