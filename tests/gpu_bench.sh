#!/bin/bash
# The GPU figures in the README (performance): on a machine with a CUDA GPU and pip's PyTorch (which carries a CUDA
# LibTorch), builds FluoCount's LibTorch-only tier (cmake -DFLUOCOUNT_NN_ONLY=ON: no Qt, no OpenCV), then
# alternates fluocount-nn-check and the Python peer on the same GPU (tests/bench_gpu_peer.py), two rounds, and
# last the peer under torch.compile. Every table goes to OUT_DIR as it is printed.
#   tests/gpu_bench.sh PEER_SCRIPT JSON_INCLUDE_DIR OUT_DIR [RUNS] [COMPILED_ARITHMETIC]
# COMPILED_ARITHMETIC: the peer's arithmetic(s) under torch.compile, "float32,bfloat16" by default (each compile
# takes one to three minutes; the step is capped at 200 s).
# PEER_SCRIPT is ../shared/bench/pytorch_cresunet.py; JSON_INCLUDE_DIR holds nlohmann/json.hpp where the machine
# has no nlohmann_json package; its folder zlib (zlib.h, zconf.h) stands in where zlib headers are missing.
set -uo pipefail
peer="$1" json="$2" out="$3" runs="${4:-10}" compiled="${5:-float32,bfloat16}"
here="$(cd "$(dirname "$0")/.." && pwd)"
build=/tmp/fluocount-nn-gpu
mkdir -p "$out"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  nproc
  python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())'
} | tee "$out/machine.txt"

torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
configure=(-DFLUOCOUNT_NN_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix"
           -DNLOHMANN_JSON_INCLUDE_DIR="$json")
if [ ! -f /usr/include/zlib.h ]; then
  libz="$(ldconfig -p | awk '/libz\.so\.1 .*x86-64/ { print $NF; exit }')"
  configure+=(-DZLIB_INCLUDE_DIR="$json/zlib" -DZLIB_LIBRARY="$libz")
fi
command -v ninja > /dev/null && configure+=(-G Ninja)
start=$(date +%s)
if ! { cmake -S "$here" -B "$build" "${configure[@]}" && cmake --build "$build" -j"$(nproc)" --target fluocount-nn-check; } \
  > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  echo "fluocount-nn-check did not build; the peer alone follows"
  PYTHONUNBUFFERED=1 python3 "$here/tests/bench_gpu_peer.py" --peer "$peer" --runs "$runs" --no-compile 2>&1 |
    tee "$out/round1-peer.txt"
  exit 1
fi
echo "built in $(( $(date +%s) - start )) s"

check="$build/fluocount-nn-check"
"$check" --runs "$runs" --out /tmp 2>&1 | tee "$out/round1-fluocount.txt"
PYTHONUNBUFFERED=1 python3 "$here/tests/bench_gpu_peer.py" --peer "$peer" --runs "$runs" --no-compile 2>&1 |
  tee "$out/round1-peer.txt"
"$check" --levers-only --runs "$runs" 2>&1 | tee "$out/round2-fluocount.txt"
PYTHONUNBUFFERED=1 python3 "$here/tests/bench_gpu_peer.py" --peer "$peer" --runs "$runs" --no-compile 2>&1 |
  tee "$out/round2-peer.txt"
PYTHONUNBUFFERED=1 timeout 200 python3 "$here/tests/bench_gpu_peer.py" --peer "$peer" --runs "$runs" \
  --compile-only --compile-arithmetic "$compiled" 2>&1 | tee "$out/peer-compiled.txt"
