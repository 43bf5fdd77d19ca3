# pbextract: `make install run` extracts samples/ into out/; `make test` runs the tests.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out
TRUTH ?= ../shared/truth
STRESS ?= stress
STAMP := $(VENV)/.installed

.PHONY: install run samples scans stress stress-report test lint bench soak clean

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,ray,openvino]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/pbextract run samples -o $(OUT)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src scripts tests
	$(BIN)/ruff format --check src scripts tests
	$(BIN)/mypy

bench: install
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python scripts/bench.py samples

# 1,000 PDFs (5% hostile) killed three times and resumed; pages/s with 1 and N workers (not a test).
soak: install
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)

# Re-render samples/ from the hand-checked truth (needs CJK fonts from Debian's packages).
samples: install
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc -a -f /usr/share/fonts/truetype/arphic/uming.ttc || \
		(apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei fonts-arphic-uming)
	$(BIN)/python -m pip install -q -e '.[samples]'
	$(BIN)/python scripts/make_samples.py --truth $(TRUTH) --out samples

# Scanned and OCR'd versions of sample pages (needs tesseract chi_sim for the OCR'd copy).
scans: install
	@command -v tesseract >/dev/null || (apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-chi-sim)
	$(BIN)/python -m pip install -q -e '.[samples]'
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python scripts/make_scans.py --samples samples

# Stress set (not run by CI): the truth rendered by reportlab, LibreOffice and Chromium, with
# scanned and OCR'd copies at three damage levels, into $(STRESS)/ (a few minutes on 2 cores).
stress: install
	@(command -v soffice && command -v chromium && command -v tesseract && command -v gs && \
		test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc -a -f /usr/share/fonts/truetype/arphic/uming.ttc \
		-a -f /usr/share/fonts/truetype/arphic/ukai.ttc -a -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc) >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc chromium \
		fonts-wqy-microhei fonts-arphic-uming fonts-arphic-ukai fonts-noto-cjk tesseract-ocr tesseract-ocr-chi-sim ghostscript)
	$(BIN)/python -m pip install -q -e '.[samples]'
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python scripts/make_stress.py --truth $(TRUTH) --out $(STRESS)

# pbextract over the stress set: a renderer x damage level table.
stress-report: install
	$(BIN)/python scripts/stress_report.py $(STRESS)

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
