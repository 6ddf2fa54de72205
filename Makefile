# Two commands: `make local` runs the product on 127.0.0.1, `make test` runs every test.
# Both create/update the virtual environment first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
REQ_HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQ_HASH)
CDK := npx --yes aws-cdk@2.1148.1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export HF_HUB_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv test lint local synth deploy destroy bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch and torchvision are pinned in the same command so pip takes the pair on this machine's disk.
	$(PIP) install -q "torch==2.14.1" "torchvision==0.29.1" -e ".[lambdas,container,infra,local,cli,dev]"
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

lint: venv
	$(VENV)/bin/ruff check .

test: venv lint
	$(PY) -m pytest $(PYTEST_ARGS)

local: venv
	$(PY) -m local $(ARGS)

synth: venv
	PATH=$(abspath $(VENV))/bin:$$PATH $(CDK) synth --quiet $(CDK_ARGS)

# Staged: a pool's endpoint is deployed only once its models are staged (infra/deploy_plan.py); afterwards
# the next step is printed (stage the models and deploy again, or create a key and run `sdapi smoke`).
deploy: venv
	PLAN="$$($(PY) -m infra.deploy_plan context $(CDK_ARGS))" && \
	PATH=$(abspath $(VENV))/bin:$$PATH $(CDK) deploy $$PLAN $(CDK_ARGS) && \
	$(PY) -m infra.deploy_plan next $(CDK_ARGS)

destroy: venv
	PATH=$(abspath $(VENV))/bin:$$PATH $(CDK) destroy $(CDK_ARGS)

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache
