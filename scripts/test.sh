#!/bin/sh
# The README's test command (`npm test`) and CI (.ci/run) run this: install what is needed
# (pnpm, dependencies, Debian's chromium for the browser tests, Debian's nats-server for the
# cluster tests), build, then run every package's tests through turbo, one package at a time
# (the machine has 2 cores and several suites start worker threads and servers).
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "kmm test: installing Debian chromium for the browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2 \
      || echo "kmm test: could not install chromium; browser tests will say they are skipped" >&2
  else
    echo "kmm test: /usr/bin/chromium missing and not root; browser tests will say they are skipped (apt-get install chromium)" >&2
  fi
fi
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "kmm test: installing Debian nats-server for the cluster tests" >&2
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null 2>&1 \
      || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null)) >&2 \
      || echo "kmm test: could not install nats-server; the cluster tests will say they are skipped" >&2
  else
    echo "kmm test: nats-server missing and not root; the cluster tests will say they are skipped (apt-get install nats-server)" >&2
  fi
fi
exec sh scripts/pnpm.sh exec turbo run lint typecheck test --concurrency=1 --output-logs=new-only
