# Bulwark: the two commands are `make serve` and `make test`.
BUILD_DIR ?= build
SAN_BUILD_DIR ?= build-san
LISTEN ?= 127.0.0.1:4566
DATA_DIR ?= ./data
FUZZ_SECONDS ?= 15
PYTHON ?= /usr/bin/python3
JOBS ?= $(shell nproc)

.PHONY: serve build test deps deps-test unit e2e sanitize fuzz bench clean format

serve: build
	$(BUILD_DIR)/bulwark serve --listen $(LISTEN) --data-dir $(DATA_DIR)

deps:
	scripts/install-deps.sh build

deps-test:
	scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	ninja -C $(BUILD_DIR) -j$(JOBS)

# Everything: unit tests, end-to-end tests with boto3 and the aws CLI, then the unit
# tests again under ASan+UBSan, and every fuzz target for a short run.
test: deps-test build unit e2e sanitize fuzz

unit:
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

e2e:
	BULWARK_BIN=$(abspath $(BUILD_DIR))/bulwark $(PYTHON) -m pytest -q tests/e2e

# One clang build serves both: unit tests with ASan+UBSan, and the libFuzzer targets.
# Debug (-O0, asserts on): half the compile time of an optimized sanitizer build.
$(SAN_BUILD_DIR)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(SAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DBULWARK_SANITIZE=ON -DBULWARK_FUZZ=ON >/dev/null

sanitize: deps-test $(SAN_BUILD_DIR)/build.ninja
	ninja -C $(SAN_BUILD_DIR) -j$(JOBS)
	cd $(SAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS)

fuzz: sanitize
	scripts/run-fuzzers.sh $(SAN_BUILD_DIR) $(FUZZ_SECONDS)

BENCH_BUILD_DIR ?= build-bench

# In-process Google Benchmark programs, then wrk against Bulwark, nginx and moto.
bench: build
	scripts/install-deps.sh bench
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULWARK_BENCH=ON \
	  -DBULWARK_TESTS=OFF >/dev/null
	ninja -C $(BENCH_BUILD_DIR) -j$(JOBS)
	for b in $(BENCH_BUILD_DIR)/*_bench; do $$b; done
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR) $(BENCH_BUILD_DIR)
