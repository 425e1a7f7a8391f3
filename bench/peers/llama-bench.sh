#!/bin/sh
# llama.cpp's own prompt processing, the peer of rl-ggml's packed scoring: builds llama-bench from the vendored tree
# (the same ggml rl-ggml runs on) into build/peer-llama-bench (build/peer-llama-bench-cuda with CUDA) and runs it on a
# model, one JSON array on stdout.
#
#   bench/peers/llama-bench.sh MODEL.gguf [llama-bench options]     e.g. -p 512 -ngl 99 -fa 1
#   bench/peers/llama-bench.sh --build                               build only
#
# RL_GGML_CUDA=1 builds its CUDA backend (with flash attention, llama.cpp's fastest prompt path); CUDA_ARCHS
# (e.g. 90) limits the architectures compiled. LLAMA_BENCH=PATH runs that llama-bench binary instead of building one
# (a prebuilt one that scripts/offline-bundle.sh packed). The build output goes to stderr.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 MODEL.gguf [llama-bench options] | $0 --build" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${LLAMA_BENCH:-}
if [ -z "$bin" ]; then
  [ -f "$root/vendor/llama.cpp/CMakeLists.txt" ] || { echo "vendor/llama.cpp is missing: run npm install first" >&2; exit 2; }
  cuda=OFF
  [ "${RL_GGML_CUDA:-0}" = 1 ] && cuda=ON
  build=$root/build/peer-llama-bench
  [ $cuda = ON ] && build=$build-cuda
  # Static: one self-contained binary, which can be copied to another machine.
  cmake -S "$root/vendor/llama.cpp" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_CUDA=$cuda \
    -DGGML_CUDA_FA=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF ${CUDA_ARCHS:+-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS} >&2
  cmake --build "$build" --target llama-bench -j "$(nproc)" >&2
  bin=$build/bin/llama-bench
fi
[ "$1" = --build ] && exit 0
model=$1
shift
exec "$bin" -m "$model" -n 0 -o json "$@"
