#!/usr/bin/env bash
# Installs Debian's CUDA 11.8 toolkit (nvcc, ptxas, cuda.h, cuBLAS 11) on a machine
# WITHOUT a GPU, to compile the kernels and the -tags cuda build (about a minute).
# It enables the contrib and non-free components of the Debian archive this machine
# already uses (same archive, same suite), then installs nvidia-cuda-toolkit.
# Exit status: 0 when nvcc is usable afterwards; 3 when this machine cannot install it
# (not Debian, no apt, not root); other non-zero: the installation failed.
set -euo pipefail
if command -v nvcc >/dev/null 2>&1; then nvcc --version | tail -1; exit 0; fi
command -v apt-get >/dev/null 2>&1 || { echo "cuda-toolkit: no apt-get here" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "cuda-toolkit: must run as root to install packages" >&2; exit 3; }
. /etc/os-release
[ "${ID:-}" = debian ] || { echo "cuda-toolkit: not Debian (ID=${ID:-?}); install the CUDA toolkit yourself" >&2; exit 3; }
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' "$src")
else
  uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
uri=${uri:-http://deb.debian.org/debian}
cat > /etc/apt/sources.list.d/debian-nonfree.sources <<EOS
Types: deb
URIs: $uri
Suites: $VERSION_CODENAME
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
apt-get update -qq
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit >/dev/null; }
# The first attempt can fail in dpkg's configure step (seen once on a fresh machine);
# a second run completes it.
install || install
nvcc --version | tail -1
