#!/usr/bin/env bash
# Installs whatever is missing for building and testing Quaver, and nothing that is already
# there: fast (seconds) once done. Each step says what it checks; a failure says which step
# failed and why, then exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
WASM_PACK_VERSION=0.15.1

step() { printf '[setup] %-34s' "$1"; }
ok() { echo "${1:-ok}"; }
fail() {
  echo "FAILED"
  echo "[setup] step '$1' failed: $2" >&2
  [ -n "${3:-}" ] && [ -f "$3" ] && tail -n 25 "$3" >&2
  exit 1
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "Rust toolchain"
command -v cargo >/dev/null && command -v rustup >/dev/null \
  || fail "Rust toolchain" "cargo/rustup not found; install Rust with rustup (https://rustup.rs) first"
ok "$(rustc --version | cut -d' ' -f2)"

step "wasm32 target"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then ok; else
  rustup target add wasm32-unknown-unknown >"$log" 2>&1 || fail "wasm32 target" "rustup target add failed" "$log"
  ok installed
fi

step "nightly pieces for the threads build"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal >"$log" 2>&1 || fail "nightly toolchain" "rustup toolchain install nightly failed" "$log"
fi
if rustup component list --toolchain nightly --installed | grep -qx rust-src \
  && rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown; then ok; else
  { rustup component add rust-src --toolchain nightly && rustup target add wasm32-unknown-unknown --toolchain nightly; } >"$log" 2>&1 \
    || fail "nightly pieces" "rustup could not add rust-src and wasm32 to nightly" "$log"
  ok installed
fi

step "Cargo.lock"
if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile >"$log" 2>&1 || fail "Cargo.lock" "cargo generate-lockfile failed" "$log"
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$bindgen_version" ] || fail "Cargo.lock" "Cargo.lock names no wasm-bindgen version"
ok "wasm-bindgen $bindgen_version"

step "wasm-bindgen CLI $bindgen_version"
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" = "$bindgen_version" ]; then ok; else
  echo "building (about 6 minutes)..."
  # No --locked: the CLI's own lock file names a crate version this registry lacks.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force >"$log" 2>&1 \
    || fail "wasm-bindgen CLI" "cargo install wasm-bindgen-cli --version $bindgen_version failed" "$log"
  step "wasm-bindgen CLI $bindgen_version"; ok installed
fi

step "wasm-pack"
if command -v wasm-pack >/dev/null; then ok "$(wasm-pack --version | cut -d' ' -f2)"; else
  echo "building (a few minutes)..."
  cargo install wasm-pack --version "$WASM_PACK_VERSION" >"$log" 2>&1 \
    || fail "wasm-pack" "cargo install wasm-pack --version $WASM_PACK_VERSION failed" "$log"
  step "wasm-pack"; ok installed
fi

step "Chromium and chromedriver"
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then ok "$(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f2)"; else
  if [ "$(id -u)" != 0 ]; then
    fail "Chromium and chromedriver" "not installed, and installing them needs root: run 'sudo apt-get install -y chromium chromium-driver'"
  fi
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; } >"$log" 2>&1 \
    || fail "Chromium and chromedriver" "apt-get install chromium chromium-driver failed" "$log"
  ok installed
fi

# Independent readers, writers and meters of audio: sox for WAV, ffmpeg's ebur128 for loudness.
for tool in sox ffmpeg; do
  step "$tool"
  if command -v "$tool" >/dev/null; then ok; continue; fi
  if [ "$(id -u)" != 0 ]; then
    fail "$tool" "not installed, and installing it needs root: run 'sudo apt-get install -y $tool'"
  fi
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$tool"; } >"$log" 2>&1 \
    || fail "$tool" "apt-get install $tool failed" "$log"
  ok installed
done

# Independent readers and writers of WAV and MIDI files for the format tests; maturin to build
# the Python package, and Dask with Arrow for its cluster runner.
step "Python environment (.venv)"
python_packages="mido soundfile numpy maturin dask[distributed] pyarrow pandas"
if .venv/bin/python -c 'import mido, soundfile, numpy, maturin, distributed, pyarrow, pandas' >/dev/null 2>&1; then ok; else
  command -v python3 >/dev/null || fail "Python environment" "python3 not found"
  { [ -x .venv/bin/pip ] || python3 -m venv .venv; } >"$log" 2>&1 || fail "Python environment" "python3 -m venv .venv failed" "$log"
  # shellcheck disable=SC2086
  .venv/bin/pip install --quiet --disable-pip-version-check $python_packages >"$log" 2>&1 \
    || fail "Python environment" "pip install $python_packages failed" "$log"
  ok installed
fi

step "npm packages"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then ok; else
  npm ci --no-audit --no-fund >"$log" 2>&1 || fail "npm packages" "npm ci failed" "$log"
  ok installed
fi
