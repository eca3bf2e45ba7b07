#!/usr/bin/env bash
# Installs the test peers (Kamailio, SIPp, baresip, Xvfb…) from Debian packages and runs
# every check: formatting, clippy, unit tests, virtual-clock scenarios, the RFC 4475 corpus,
# the real-server tests against Kamailio on loopback, and the desktop window under Xvfb.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/testbed/install-deps.sh
if ! command -v cargo >/dev/null; then
  echo "test.sh: Rust 1.95 or newer is needed (rustup toolchain install stable)" >&2
  exit 1
fi
echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
# Every test binary runs even when one fails, so the summary below covers the whole suite.
status=0
cargo test --quiet --no-fail-fast 2>&1 | tee /tmp/lampboard-test.log || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "lampboard: %d passed, %d failed\n", p, f }' /tmp/lampboard-test.log
if [ "$status" -ne 0 ]; then
  grep -E "^(---- |test .* FAILED|failures:)" /tmp/lampboard-test.log | sort -u >&2 || true
  echo "test.sh: tests failed" >&2
  exit "$status"
fi
echo "== packaging"
# The Debian package built from the debug binary, installed, checked and removed again
# (needs root, as on CI); the Windows/macOS/Flatpak recipes as far as Linux allows.
if [ "$(id -u)" -eq 0 ]; then
  sh packaging/check-deb.sh
else
  sudo sh packaging/check-deb.sh
fi
sh packaging/check-recipes.sh
