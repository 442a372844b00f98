#!/usr/bin/env bash
# Sets up, builds and runs the main job: `remoto serve`, a whole node on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target remoto
exec build/release/apps/remoto/remoto serve "$@"
