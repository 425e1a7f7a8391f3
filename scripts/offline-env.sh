# Sourced (`. scripts/offline-env.sh`) on the machine that unpacked scripts/offline-bundle.sh's parts: puts the packed
# Node.js and the npm tools on PATH, finds the CUDA runtime and cuBLAS libraries that a packed CUDA addon needs
# (LD_LIBRARY_PATH), points LLAMA_BENCH at a packed llama-bench, and checks that the addon runs on this machine. When
# it does not (a library that cannot be found, or the packing machine's CPU instructions), it rebuilds the addon here
# with this machine's toolkit: RL_GGML_CUDA=1, CUDA_ARCHS (default 90).
rl_root=$(pwd)
[ -x "$rl_root/.offline/bin/node" ] || { echo "offline-env: run it from the repository root after scripts/offline-unpack.py" >&2; return 2; }
export PATH="$rl_root/.offline/bin:$rl_root/node_modules/.bin:$PATH"
rl_addon=$rl_root/build/Release/rl_ggml.node
rl_bench=$rl_root/build/peer-llama-bench-cuda/bin/llama-bench

# Every library the addon or llama-bench links that the loader cannot find, looked up where CUDA toolkits and NVIDIA's
# Python wheels install them.
for rl_bin in "$rl_addon" "$rl_bench"; do
  [ -f "$rl_bin" ] || continue
  for rl_lib in $(ldd "$rl_bin" 2>/dev/null | awk '/not found/ { print $1 }'); do
    rl_dir=$(find ${CUDA_PATH:-} ${CUDA_HOME:-} /usr/local /opt /usr/lib /usr/lib64 -name "$rl_lib" -print -quit 2>/dev/null)
    if [ -n "$rl_dir" ]; then
      export LD_LIBRARY_PATH="$(dirname "$rl_dir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    else
      echo "offline-env: $rl_lib (needed by $rl_bin) is nowhere on this machine" >&2
    fi
  done
done

# Loading it and running a small model on the CPU (ggml's CPU kernels use the packing machine's instruction set).
rl_check() {
  node dist/src/cli/main.js make-model --out "$rl_root/.offline/check.gguf" --type q4_0 >/dev/null &&
    node dist/src/cli/main.js logprobs --model "$rl_root/.offline/check.gguf" --text "offline check" --device cpu >/dev/null
}
if ! rl_check 2>/dev/null; then
  echo "offline-env: the packed addon does not run here; building it (RL_GGML_CUDA=1 CUDA_ARCHS=${CUDA_ARCHS:-90})" >&2
  RL_GGML_CUDA=1 CUDA_ARCHS=${CUDA_ARCHS:-90} node scripts/build-native.mjs >&2 && rl_check || return 1
fi

# A packed llama-bench that does not run here is left for bench/peers/llama-bench.sh to build.
if [ -x "$rl_bench" ] && "$rl_bench" --help >/dev/null 2>&1; then export LLAMA_BENCH="$rl_bench"; fi
node dist/src/cli/main.js info --devices
unset -f rl_check
unset rl_root rl_addon rl_bench rl_bin rl_lib rl_dir
