#!/bin/sh
# Runs a command with the CUDA stand-in (stand-in.cpp) in place of libcudart and libcublas, on a CUDA build of the
# addon: RL_GGML_DEVICE=cuda, so commands and tests take the stand-in GPU. Needs the CUDA headers (CUDA_PATH, else
# the nvcc on PATH's toolkit). Example: sh test/cuda-stand-in/run.sh node dist/src/cli/main.js info --devices
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cuda=${CUDA_PATH:-$(dirname "$(dirname "$(command -v nvcc)")")}
out="$root/build/cuda-stand-in"
mkdir -p "$out"
if [ ! -f "$out/libcudart.so.13" ] || [ "$here/stand-in.cpp" -nt "$out/libcudart.so.13" ] || [ "$here/exports.map" -nt "$out/libcudart.so.13" ]; then
  g++ -std=c++17 -O1 -g -fPIC -shared -I"$cuda/include" -Wl,-soname,libcudart.so.13 -Wl,--version-script="$here/exports.map" \
    -o "$out/libcudart.so.13" "$here/stand-in.cpp"
  # one object answers for both libraries, so cuBLAS's checks see the runtime's allocations
  ln -sf libcudart.so.13 "$out/libcublas.so.13"
fi
LD_LIBRARY_PATH="$out${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" RL_GGML_DEVICE=${RL_GGML_DEVICE:-cuda} exec "$@"
