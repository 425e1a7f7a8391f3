#!/bin/sh
# Packs what building and testing rl-ggml needs on a machine with no network and no Node.js (an air-gapped GPU box
# with CUDA, CMake and Python): this Node binary, the installed node_modules without other platforms' prebuilt
# binaries and the TypeScript compiler, the compiled dist/ and the extracted vendor/llama.cpp — as xz tarballs of at
# most PART_MB MiB each (default 58: one part and the working tree fit the 64 MiB that a device call carries) in
# .offline/ (ignored by git). Run it after `npm install`.
#
# OFFLINE_CUDA_ARCHS=90 (a CMake CUDA architecture list) also builds, here, the CUDA addon (in a staging copy,
# build/offline-cuda, so this checkout's own build is untouched) and a static CUDA llama-bench (the scoring peer,
# build/peer-llama-bench-cuda; it needs the driver library to link), and packs them: the other machine then needs no
# build, provided its CUDA runtime has the major version of this toolkit (CUDA_PATH or the nvcc on PATH, with cuBLAS).
#
# On the other machine, in a copy of this repository with the parts in .offline/:
#   python3 scripts/offline-unpack.py [DIR]    # unpacks every part-*.tar.xz of .offline/ or DIR (Python's tarfile: no xz needed)
#   . scripts/offline-env.sh                   # PATH, the CUDA libraries, LLAMA_BENCH; rebuilds the addon if it cannot run there
#   RL_GGML_DEVICE=cuda tap --disable-coverage # the suite on the GPU
#   node dist/bench/peers/compare.js --device cuda --json    # npm run bench:peers (npm itself is not packed)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
part_mb=${PART_MB:-58}
[ -d node_modules ] && [ -d dist ] && [ -f vendor/llama.cpp/.rl-ggml-stamp ] || { echo "run npm install first" >&2; exit 2; }

cuda_members=
if [ -n "${OFFLINE_CUDA_ARCHS:-}" ]; then
  stage=build/offline-cuda
  rm -rf "$stage/native" "$stage/scripts"
  mkdir -p "$stage"
  cp -a native scripts CMakeLists.txt package.json "$stage"/  # -a keeps mtimes: unchanged sources are not rebuilt
  ln -sfn ../../node_modules "$stage/node_modules"
  ln -sfn ../../vendor "$stage/vendor"
  (cd "$stage" && RL_GGML_CUDA=1 CUDA_ARCHS=$OFFLINE_CUDA_ARCHS node scripts/build-native.mjs)
  # The peer runs llama.cpp's own code, which our patches leave as it was: an existing build is kept.
  peer=build/peer-llama-bench-cuda/bin/llama-bench
  [ -x $peer ] || RL_GGML_CUDA=1 CUDA_ARCHS=$OFFLINE_CUDA_ARCHS sh bench/peers/llama-bench.sh --build ||
    echo "offline-bundle: llama-bench did not build here (it links the driver library, libcuda, for ggml's VMM pool);" \
      "packing without it: bench/peers/llama-bench.sh builds it on the GPU machine" >&2
  cuda_members="-C $stage build/Release/rl_ggml.node"
  if [ -x $peer ]; then cuda_members="$peer $cuda_members"; fi
fi

rm -rf .offline
mkdir -p .offline/bin
cp "$(command -v node)" .offline/bin/node
# Prebuilt node-llama-cpp binaries for other platforms and GPUs, the compiler (dist/ is built), the llama.cpp bundle
# (vendor/ is extracted), llama.cpp's docs and the vocabularies of models other than LLaMA's, Qwen2's, Gemma 4's,
# Phi-3's and StarCoder's are left behind; node-llama-cpp's CPU build stays (the tests' reference).
# shellcheck disable=SC2086 # cuda_members is a word list
tar -cf - --exclude='node_modules/@node-llama-cpp/linux-arm64' --exclude='node_modules/@node-llama-cpp/linux-armv7l' \
  --exclude='node_modules/@node-llama-cpp/linux-x64-cuda' --exclude='node_modules/@node-llama-cpp/linux-x64-cuda-ext' \
  --exclude='node_modules/@node-llama-cpp/linux-x64-vulkan' --exclude='node_modules/typescript' \
  --exclude='node_modules/@typescript' --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
  --exclude='vendor/llama.cpp/.git' --exclude='vendor/llama.cpp/docs' \
  --exclude='vendor/llama.cpp/models/ggml-vocab-[!lqgps]*' --exclude='vendor/llama.cpp/models/ggml-vocab-s[!t]*' --exclude='vendor/llama.cpp/models/ggml-vocab-l[!l]*' \
  --exclude='vendor/llama.cpp/models/ggml-vocab-g[!e]*' --exclude='vendor/llama.cpp/models/ggml-vocab-p[!h]*' \
  --exclude='vendor/llama.cpp/models/ggml-vocab-q[!w]*' --exclude='vendor/llama.cpp/models/ggml-vocab-qwen[!2]*' \
  .offline/bin node_modules dist vendor/llama.cpp $cuda_members | xz -T0 -6 | split -b "${part_mb}m" -d - .offline/part-
rm -rf .offline/bin
for f in .offline/part-*; do mv "$f" "$f.tar.xz"; done
ls -l .offline
