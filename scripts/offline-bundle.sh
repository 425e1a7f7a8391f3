#!/bin/sh
# Packs what building and testing rl-ggml needs on a machine with no network and no Node.js (an air-gapped GPU box
# with CUDA, CMake and Python): this Node binary, the installed node_modules without other platforms' prebuilt
# binaries and the TypeScript compiler, the compiled dist/ and the extracted vendor/llama.cpp — as xz tarballs of at
# most PART_MB megabytes each (default 55) in .offline/ (ignored by git). Run it after `npm install`.
#
# On the other machine, in a copy of this repository with the parts in .offline/:
#   python3 scripts/offline-unpack.py [DIR]    # unpacks every part-*.tar.xz of .offline/ or DIR (Python's tarfile: no xz needed)
#   export PATH=$PWD/.offline/bin:$PATH
#   RL_GGML_CUDA=1 node scripts/build-native.mjs && RL_GGML_DEVICE=cuda npx tap
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
part_mb=${PART_MB:-55}
[ -d node_modules ] && [ -d dist ] && [ -f vendor/llama.cpp/.rl-ggml-stamp ] || { echo "run npm install first" >&2; exit 2; }
rm -rf .offline
mkdir -p .offline/bin
cp "$(command -v node)" .offline/bin/node
# Prebuilt node-llama-cpp binaries for other platforms and GPUs, the compiler (dist/ is built) and the llama.cpp
# bundle (vendor/ is extracted) are left behind; node-llama-cpp's CPU build stays (the tests' reference).
tar -cf - --exclude='node_modules/@node-llama-cpp/linux-arm64' --exclude='node_modules/@node-llama-cpp/linux-armv7l' \
  --exclude='node_modules/@node-llama-cpp/linux-x64-cuda' --exclude='node_modules/@node-llama-cpp/linux-x64-cuda-ext' \
  --exclude='node_modules/@node-llama-cpp/linux-x64-vulkan' --exclude='node_modules/typescript' \
  --exclude='node_modules/@typescript' --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
  --exclude='vendor/llama.cpp/.git' \
  .offline/bin node_modules dist vendor/llama.cpp | xz -T0 -6 | split -b "${part_mb}m" -d - .offline/part-
rm -rf .offline/bin
for f in .offline/part-*; do mv "$f" "$f.tar.xz"; done
ls -l .offline
