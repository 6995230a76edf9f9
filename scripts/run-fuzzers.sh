#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from the seed
# corpus in fuzz/seeds/<target>/ when there is one. Fails if any target crashes.
set -euo pipefail
build_dir=${1:-build-san}
seconds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$build_dir"/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "run-fuzzers: no fuzz targets in $build_dir" >&2
  exit 1
fi
failed=0
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds=()
  [ -d "$root/fuzz/seeds/$name" ] && seeds=("$root/fuzz/seeds/$name")
  echo "fuzz: $name for ${seconds}s"
  if ! "$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=0 \
      -artifact_prefix="$work/" "$work" "${seeds[@]}" >"$work/log" 2>&1; then
    echo "fuzz: $name FAILED" >&2
    tail -50 "$work/log" >&2
    failed=1
  else
    grep -E "^#[0-9]+.*DONE" "$work/log" | tail -1 || true
  fi
  rm -rf "$work"
done
exit $failed
