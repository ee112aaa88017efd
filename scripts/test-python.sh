#!/usr/bin/env bash
# The Python layer: builds the CLI the package is compared with and the package itself (maturin,
# release, into .venv), then runs tests/python with unittest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --quiet --bin quaver
VIRTUAL_ENV="$PWD/.venv" CARGO_TARGET_DIR="$PWD/target/python" \
  .venv/bin/maturin develop --release --manifest-path python/Cargo.toml 2>&1 | grep -v '^\s*Compiling' || true
.venv/bin/python -c 'import quaver' || { echo "the quaver package did not build" >&2; exit 1; }
exec .venv/bin/python -m unittest discover -s tests/python -v
