#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Last line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

scripts/setup.sh

results="TestResults/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$results"
status=0
dotnet test RobustNode.sln -c Release --no-build --nologo --logger trx --results-directory "$results" || status=$?

# Sum the <Counters .../> of every TRX file of this run.
passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  count() { local n; n=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"); echo "${n:-0}"; }
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + $(count total) - $(count executed)))  # skipped tests are counted in total, not in executed
done

echo "$passed passed, $failed failed, $skipped skipped"
if ((status != 0 || failed > 0 || passed + failed == 0)); then
  exit 1
fi
