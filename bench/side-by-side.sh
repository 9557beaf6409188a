#!/bin/sh
# Side-by-side benchmark of Portcullis and oidc-provider (bench/README.md).
#   bench/side-by-side.sh            full run: 3 alternating rounds of 5 s, 64 connections, both backends
#   bench/side-by-side.sh --smoke    a few seconds per server, for CI
# Other options go to bench/side-by-side/side-by-side.mjs (--rounds, --seconds, --connections,
# --signins, --backends sqlite,postgres, --scenarios, --only, --binary).
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "error: wrk is missing (apt-get install wrk)" >&2; exit 1; }
if [ -z "${PORTCULLIS_BIN:-}" ]; then
  cargo build --release --quiet -p portcullis
  PORTCULLIS_BIN="${CARGO_TARGET_DIR:-target}/release/portcullis"
fi
export PORTCULLIS_BIN
[ -d bench/side-by-side/node_modules ] || (cd bench/side-by-side && npm ci --no-audit --no-fund)
exec node bench/side-by-side/side-by-side.mjs "$@"
