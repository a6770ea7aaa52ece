#!/usr/bin/env bash
# Installs what FluoCount needs to build and run on Debian 12 (bookworm); with --tests, also what the whole test
# suite and the benchmark need (clang for the sanitizer and fuzzing build, localedef's sources, the Python peer).
# Idempotent: packages that are already installed are left alone, and apt is only called when something is missing.
set -euo pipefail

with_tests=0
for argument in "$@"; do
  case "$argument" in
    --tests) with_tests=1 ;;
    *) echo "usage: $0 [--tests]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ccache pkg-config git
  qt6-base-dev qt6-base-dev-tools libqt6svg6 qt6-qpa-plugins
  libqcustomplot-dev
  libopencv-dev
  libtiff-dev
  libtorch-dev
  # Debian's LibTorch falls back to the reference BLAS without an optimised one; OpenMP OpenBLAS is ~5x faster
  # on transposed convolutions.
  libopenblas0-openmp
  # oneDNN's headers, for counting with int8 convolutions (the library itself comes with LibTorch).
  libdnnl-dev
  # tcmalloc: LibTorch's large CPU tensors otherwise cost a page fault storm per layer (~10x slower forward).
  libgoogle-perftools-dev
  nlohmann-json3-dev
  zlib1g-dev
)
if [ "$with_tests" = 1 ]; then
  packages+=(
    # localedef's sources, so that test_cli can make a German and a French locale and check the files do not change.
    locales
    # The hardening build (tests/hardening.cmake): AddressSanitizer, UBSan and libFuzzer come with clang's runtime.
    clang libclang-rt-14-dev
    # The benchmark's side-by-side peer: the same c-ResUnet in Debian's Python PyTorch.
    python3-torch
    # Screenshots of the app on a virtual display (docs/images).
    xvfb xauth
    # ImageJ itself, headless, for tests/interop: it opens the files FluoCount writes and writes those it reads.
    default-jdk-headless libij-java
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
