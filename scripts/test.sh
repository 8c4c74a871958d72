#!/usr/bin/env bash
# README command (b): install what is missing, build once with ASan+UBSan, run every test,
# then the fuzz targets and benchmarks in a short smoke mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh clang libclang-rt-14-dev python3-nacl patch openssl
scripts/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug -DCA_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build/asan --output-on-failure -j "$(nproc)"
if [ -x scripts/fuzz.sh ]; then scripts/fuzz.sh smoke; fi
if [ -x bench/run.sh ]; then bench/run.sh --smoke; fi
echo "all tests passed"
