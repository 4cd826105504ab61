# mmvmt: the two commands a new user needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmvmt-setup
SETUP_INPUTS := tools/setup_env.sh setup.py $(wildcard requirements/*.txt)
TOY_DATA ?= data/toy_vis
DEMO_CONFIG ?= configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py
DEMO_WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: setup demo test toy-data clean-venv

# Idempotent: reruns the set-up only when the venv is missing or its inputs changed.
setup: $(STAMP)
$(STAMP): $(SETUP_INPUTS)
	VENV=$(VENV) bash tools/setup_env.sh
	touch $@

# Regenerated every time (deterministic, a few seconds), so data made by an older generator
# never stays behind.
toy-data: setup
	$(PY) tools/dataset_converters/make_toy_vis.py --out $(TOY_DATA) --force

demo: setup toy-data
	bash tools/demo.sh $(PY) $(DEMO_CONFIG) $(DEMO_WORK_DIR)

test: setup
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
