#!/usr/bin/env node
// Builds the native addon: extracts the llama.cpp/ggml tree shipped inside the pinned node-llama-cpp package into
// vendor/llama.cpp (ignored by git), applies our patches from native/patches, then runs cmake-js. A second run reuses
// both the extracted tree (when the stamp matches) and cmake's build folder; when the patches change, the files they
// leave as they were keep their times, so that only what changed is compiled again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nlcDir = packageRoot(fileURLToPath(import.meta.resolve('node-llama-cpp')));
const bundle = join(nlcDir, 'llama', 'gitRelease.bundle');
const vendor = join(root, 'vendor', 'llama.cpp');
const patchDir = join(root, 'native', 'patches');
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

/** The folder of the package that contains `file` (node-llama-cpp does not export its package.json). */
function packageRoot(file) {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith('node-llama-cpp')) {
    if (dirname(dir) === dir) throw new Error(`cannot locate node-llama-cpp from ${file}`);
    dir = dirname(dir);
  }
  return dir;
}

function stamp() {
  const hash = createHash('sha256');
  hash.update(JSON.parse(readFileSync(join(nlcDir, 'package.json'), 'utf8')).version);
  for (const name of patchFiles()) hash.update(name).update(readFileSync(join(patchDir, name)));
  return hash.digest('hex');
}

function patchFiles() {
  return existsSync(patchDir) ? readdirSync(patchDir).filter((f) => f.endsWith('.patch')).sort() : [];
}

function extractVendor() {
  const stampFile = join(vendor, '.rl-ggml-stamp');
  const want = stamp();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp does not ship ${bundle}; reinstall node-llama-cpp`);
  const tmp = `${vendor}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  run('git', ['clone', '--quiet', bundle, tmp]);
  for (const name of patchFiles()) run('git', ['apply', join(patchDir, name)], tmp);
  writeFileSync(join(tmp, '.rl-ggml-stamp'), want);
  if (existsSync(vendor)) keepTimesOfUnchanged(tmp, vendor);
  rmSync(vendor, { recursive: true, force: true });
  renameSync(tmp, vendor);
}

/** Gives each file of `fresh` whose bytes equal those of the same file in `old` the old file's times. */
function keepTimesOfUnchanged(fresh, old) {
  for (const entry of readdirSync(fresh, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const path = join(fresh, entry.name);
    const before = join(old, entry.name);
    if (entry.isDirectory()) {
      if (existsSync(before)) keepTimesOfUnchanged(path, before);
    } else if (entry.isFile() && existsSync(before)) {
      const stat = statSync(before);
      if (stat.isFile() && stat.size === statSync(path).size && readFileSync(path).equals(readFileSync(before))) {
        utimesSync(path, stat.atime, stat.mtime);
      }
    }
  }
}

/**
 * The CUDA toolkit root when one with nvcc and cuBLAS (headers and library) is installed: CUDA_PATH, CUDA_HOME, the
 * folder above the nvcc on PATH, or /usr/local/cuda. ggml's CUDA backend needs all three.
 */
function cudaToolkit() {
  const roots = [process.env.CUDA_PATH, process.env.CUDA_HOME, '/usr/local/cuda'];
  try {
    const nvcc = execFileSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).trim();
    if (nvcc) roots.push(dirname(dirname(realpathSync(nvcc))));
  } catch {
    // no nvcc on PATH
  }
  const has = (root, subdirs, file) => subdirs.some((d) => existsSync(join(root, d, file)));
  return roots.find(
    (root) =>
      root &&
      existsSync(join(root, 'bin', 'nvcc')) &&
      has(root, ['include', 'targets/x86_64-linux/include', 'targets/sbsa-linux/include'], 'cublas_v2.h') &&
      has(root, ['lib64', 'lib', 'targets/x86_64-linux/lib', 'targets/sbsa-linux/lib'], 'libcublas.so'),
  );
}

/** RL_GGML_CUDA=1 demands the CUDA backend, 0 refuses it; unset, it is built when a toolkit with cuBLAS is found. */
function wantCuda() {
  const flag = process.env.RL_GGML_CUDA;
  if (flag === '0') return false;
  const toolkit = cudaToolkit();
  if (flag === '1') {
    if (!toolkit) console.warn('rl-ggml: RL_GGML_CUDA=1 but no CUDA toolkit with nvcc and cuBLAS was found; CMake will look for one');
    return true;
  }
  if (toolkit) console.log(`rl-ggml: building the CUDA backend with the toolkit in ${toolkit} (RL_GGML_CUDA=0 builds the CPU backend only)`);
  return toolkit !== undefined;
}

/** Whether the build folder's CMake cache already holds every one of `options` (false without a cache). */
function cacheHolds(options) {
  const cache = join(root, 'build', 'CMakeCache.txt');
  if (!existsSync(cache)) return false;
  const text = readFileSync(cache, 'utf8');
  return Object.entries(options).every(([k, v]) => text.match(new RegExp(`^${k}:[A-Z]+=(.*)$`, 'm'))?.[1] === v);
}

extractVendor();
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const cuda = wantCuda();
const options = { RL_GGML_CUDA: cuda ? 'ON' : 'OFF' };
if (cuda && process.env.CUDA_ARCHS) options.CMAKE_CUDA_ARCHITECTURES = process.env.CUDA_ARCHS;
const flags = ['--log-level', 'warn', ...Object.entries(options).map(([k, v]) => `--CD${k}=${v}`)];
// `cmake-js build` configures only a fresh build folder: configure explicitly when the cache lacks this choice (a
// CPU build, then RL_GGML_CUDA=1); objects the change leaves valid are reused.
if (!cacheHolds(options)) run(process.execPath, [cmakeJs, 'configure', ...flags]);
run(process.execPath, [cmakeJs, 'build', ...flags, '--parallel', String(Math.max(2, (await import('node:os')).availableParallelism()))]);
