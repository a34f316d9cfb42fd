#!/bin/sh
# Installs what KMM needs on a machine that has only Node 20 and npm, then builds every
# package (codegen -> build via turbo). Safe to run repeatedly: each step is skipped when
# it is already up to date.
set -e
cd "$(dirname "$0")/.."
PNPM_VERSION=9.15.9
PNPM=.tools/node_modules/.bin/pnpm
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1
# turbo looks up the package manager (pnpm) on PATH: use the pinned copy in .tools/.
export PATH="$(cd "$(dirname "$0")/.." && pwd)/.tools/node_modules/.bin:$PATH"
if [ ! -x "$PNPM" ]; then
  echo "kmm setup: installing pnpm@$PNPM_VERSION locally (.tools/)" >&2
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ] || [ package.json -nt node_modules/.modules.yaml ]; then
  echo "kmm setup: installing dependencies" >&2
  "$PNPM" install --frozen-lockfile --reporter=append-only >&2
fi
"$PNPM" exec turbo run build --output-logs=errors-only >&2
date > .tools/build-stamp
