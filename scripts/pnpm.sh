#!/bin/sh
# Runs the repository's pinned pnpm (installed by scripts/setup.sh into .tools/).
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1
# turbo looks up the package manager (pnpm) on PATH: use the pinned copy in .tools/.
export PATH="$(cd "$(dirname "$0")/.." && pwd)/.tools/node_modules/.bin:$PATH"
exec "$(dirname "$0")/../.tools/node_modules/.bin/pnpm" "$@"
