# localindex: `make run` builds the bundled data and serves it; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run build serve system-packages test national hardening soak lint format bundle samples vendor bench bench-build bench-sparql bench-sparql-national bench-aggregate bench-api bench-spi bench-search bench-workbook bench-federation bench-ingest bench-serve bench-external clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "localindex needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## run: create .venv, build the bundled datasets (reused when unchanged) and serve on 127.0.0.1:8080
run: build serve

## build: the bundled datasets, then the two sample submissions (data/submissions/) as their publishers
build: $(INSTALLED)
	$(BIN)/localindex build
	$(BIN)/localindex ingest data/submissions/lbbd-spi-2018 --publisher lbbd
	$(BIN)/localindex ingest data/submissions/hackney-wards-2019 --publisher hackney

serve: $(INSTALLED)
	$(BIN)/localindex serve

## system-packages: Debian's Chromium, Virtuoso and wrk for the tests and benchmarks (root; .ci/run does this)
system-packages:
	.ci/install-system-packages

## test: the test suite, in two processes, each test module whole in one of them (most tests keep
## one core busy); the national acceptance build is `make national`
test: $(INSTALLED)
	$(BIN)/pytest -q -n 2 --dist loadscope --durations=15

## national: acceptance on the full national build as make run publishes it (CI runs it after test)
national: $(INSTALLED)
	$(BIN)/pytest -q -m national --durations=5

## hardening: kill -9 of a publication 20 times, and the soak's 60-second version (CI runs it after test)
hardening: $(INSTALLED)
	$(BIN)/pytest -q -m hardening

## soak: 10 minutes of wrk at 32 connections on the server over the built var/ (run `make build` first)
soak: $(INSTALLED)
	$(BIN)/python -m tests.soak --seconds 600

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bundle: re-copy the needed columns of ../shared/data/raw into data/ (maintainers only)
bundle: $(INSTALLED)
	$(BIN)/python -m publisher.inputs.bundle

## vendor: re-install the front-end libraries from npm (package-lock.json) into api/static/vendor/, and
## axe-core (the browser tests' accessibility checker) into tests/vendor/ (maintainers only)
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p api/static/vendor/leaflet api/static/vendor/yasgui api/static/vendor/redoc tests/vendor/axe-core
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE api/static/vendor/leaflet/
	cp -r node_modules/leaflet/dist/images api/static/vendor/leaflet/
	cp node_modules/@zazuko/yasgui/build/yasgui.min.js node_modules/@zazuko/yasgui/build/yasgui.min.css api/static/vendor/yasgui/
	node scripts/vendor-licences.js @zazuko/yasgui > api/static/vendor/yasgui/LICENSE
	cp node_modules/redoc/bundles/redoc.standalone.js node_modules/redoc/LICENSE api/static/vendor/redoc/
	cp node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt api/static/vendor/redoc/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE node_modules/axe-core/LICENSE-3RD-PARTY.txt tests/vendor/axe-core/

## samples: rewrite the sample submissions in data/submissions/ from real public data (maintainers only)
samples: $(INSTALLED)
	$(BIN)/python -m publisher.inputs.samples

## bench: build, SPARQL latency and aggregation benchmarks (prints figures; see bench/RESULTS.md)
bench: bench-build bench-sparql bench-aggregate bench-api bench-spi bench-search

bench-build: $(INSTALLED)
	$(BIN)/python bench/build.py

bench-sparql: $(INSTALLED)
	$(BIN)/python bench/sparql.py

## bench-sparql-national: bench/queries/*.rq on the served snapshot against Virtuoso with the same data (run `make build` first)
bench-sparql-national: $(INSTALLED)
	$(BIN)/python bench/sparql_national.py

bench-aggregate: $(INSTALLED)
	$(BIN)/python bench/aggregate.py

## bench-api: REST API latency over the built var/ (run `make build` first)
bench-api: $(INSTALLED)
	$(BIN)/python bench/api.py

bench-spi: $(INSTALLED)
	$(BIN)/python bench/spi.py

bench-search: $(INSTALLED)
	$(BIN)/python bench/search.py

## bench-workbook: a national table's build with its workbook written in the build's process, then by its own
bench-workbook: $(INSTALLED)
	$(BIN)/python bench/workbook.py

## bench-serve: wrk at 1/16/64 connections against REST and SPARQL, and rdflib-endpoint (own venv) as the peer (run `make build` first)
bench-serve: $(INSTALLED)
	$(BIN)/python bench/serve.py

## bench-external: Graph Store Protocol load of both LSOA editions into a Virtuoso started on 127.0.0.1 (run `make build` first)
bench-external: $(INSTALLED)
	$(BIN)/python bench/external_store.py --national

## bench-federation: a hub harvests the national build served on 127.0.0.1:8080 (run `make build` first)
bench-federation: $(INSTALLED)
	$(BIN)/python bench/federation.py

## bench-ingest: the sample submissions end to end, and checking a 225 MB table against bare reads
bench-ingest: $(INSTALLED)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var
