#!/usr/bin/env bash
# Runs robustnode after building what is needed; arguments go to robustnode, paths are relative to
# the current folder. Without arguments it runs the default job: robust training on moons, into runs/moons/.
# Examples: ./run.sh
#           ./run.sh train --experiment spirals
#           ./run.sh evaluate --model runs/moons/models/augmented.ckpt --epsilons 0,0.1,0.2
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

"$root/scripts/setup.sh" --quiet
exec dotnet run -c Release --no-build --project "$root/Host" -- "$@"
