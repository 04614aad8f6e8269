#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time, one after another (nice'd):
#   bash fuzz/run.sh SECONDS [TARGET...]
# FUZZ_RUNS=N stops each target after N executions (or SECONDS, whichever comes
# first; SECONDS 0 = no time limit). Seeds come from
# the conformance transcripts and spec examples (make_seeds.py); findings are left in
# fuzz/artifacts/<target>/. Prints and appends to fuzz/results.txt each target's
# execution count. Needs the nightly toolchain; installs cargo-fuzz when absent.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_codec relay_socket report_api c_api_strings)
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
python3 make_seeds.py
# a private temporary folder: the build scripts of C dependencies use it
mkdir -p target/tmp
export TMPDIR="$PWD/target/tmp"
# The relay code is safe Rust: the sanitizer-free build is several times faster.
# FUZZ_FLAGS="" keeps cargo-fuzz's default (AddressSanitizer).
read -r -a FUZZ_FLAGS <<<"${FUZZ_FLAGS---sanitizer=none}"
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  limit=()
  [ "$seconds" -gt 0 ] && limit+=(-max_total_time="$seconds")
  [ -n "${FUZZ_RUNS:-}" ] && limit+=(-runs="$FUZZ_RUNS")
  log="$(mktemp)"
  rc=0
  nice -n 10 cargo +nightly fuzz run "${FUZZ_FLAGS[@]}" "$t" "corpus/$t" -- "${limit[@]}" \
    -max_len=16384 -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 >"$log" 2>&1 || rc=$?
  grep -E "^#[0-9]+ +DONE|ERROR|panicked|SUMMARY|^Test unit written" -A1 "$log" || true
  # a failed run keeps its whole log beside the input (the panic message is in it)
  [ "$rc" -eq 0 ] || cp "$log" "artifacts/$t/run-$(date -u +%Y%m%dT%H%M%SZ).log"

  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  line="$(date -u +%FT%TZ) $t executions=${execs:-?} exit=$rc"
  echo "$line" | tee -a results.txt
  [ "$rc" -eq 0 ] || status=1
  rm -f "$log"
done
exit $status
