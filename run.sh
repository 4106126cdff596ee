#!/usr/bin/env bash
# Runs robustnode after building what is needed; arguments go to robustnode, paths are relative to
# the current folder. Without a verb robustnode will train; for now it prints its usage.
# Example: ./run.sh solve --problem samples/Problems/node-tanh.json --out runs/node-tanh.json
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

"$root/scripts/setup.sh" --quiet
exec dotnet run -c Release --no-build --project "$root/Host" -- "$@"
