#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan/UBSan into build/fuzz and runs each of them.
#   scripts/fuzz.sh [smoke|long]   smoke: ~30 s per target (the CI gate); long: 10 min per target
# FUZZ_SECONDS overrides the time per target; JOBS the build parallelism (default 2).
# The seed corpus is tests/hostile/rules plus the shipped rules/ (and tests/fuzz/seeds/<name>
# for target fuzz_<name>), copied into a temporary directory so runs never write into the source
# tree. Crash inputs land in build/fuzz/artifacts/.
# Exits non-zero when a target crashes, leaks, times out or fails to build.
set -euo pipefail

mode=${1:-smoke}
case "$mode" in
  smoke) seconds=${FUZZ_SECONDS:-30} ;;
  long) seconds=${FUZZ_SECONDS:-600} ;;
  *) echo "usage: $0 [smoke|long]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
artifacts="$build/artifacts"
mkdir -p "$artifacts"

# tests/fuzz/<name>_fuzz.cpp -> target fuzz_<name> (see tests/fuzz/CMakeLists.txt).
targets=()
for src in "$root"/tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$src" _fuzz.cpp)
  targets+=("fuzz_$name")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in tests/fuzz" >&2
  exit 1
fi

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCA_BUILD_FUZZERS=ON -DCA_BUILD_TESTS=OFF -DCA_SANITIZE=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ca-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

seed() {  # seed DIR TARGET: copies every regular file below the seed sources into DIR, flat
  local dest=$1 n=0
  mkdir -p "$dest"
  # tests/fuzz/seeds/<name>: seeds of one target (e.g. evidence a real agent wrote).
  for dir in "$root/tests/hostile/rules" "$root/rules" "$root/tests/fuzz/seeds/${2#fuzz_}"; do
    [ -d "$dir" ] || continue
    while IFS= read -r -d '' f; do
      n=$((n + 1))
      cp "$f" "$dest/seed-$n-$(basename "$f")"
    done < <(find "$dir" -type f ! -name README.md -print0 | sort -z)
  done
  echo "$n"
}

status=0
for t in "${targets[@]}"; do
  corpus="$work/$t"
  n=$(seed "$corpus" "$t")
  echo "== $t: $seconds s, $n seed files"
  # -timeout: one input taking over 10 s is a hang; -max_len lets inputs grow past the seeds.
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$corpus"; then
    echo "== $t: FAILED (inputs in $artifacts)" >&2
    status=1
  fi
done
exit $status
