#!/usr/bin/env node
// Builds the native addon: extracts the llama.cpp/ggml tree shipped inside the pinned node-llama-cpp package into
// vendor/llama.cpp (ignored by git), applies our patches from native/patches, then runs cmake-js. A second run reuses
// both the extracted tree (when the stamp matches) and cmake's build folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  rmSync(vendor, { recursive: true, force: true });
  renameSync(tmp, vendor);
}

extractVendor();
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const args = [cmakeJs, 'build', '--log-level', 'warn', '--parallel', String(Math.max(2, (await import('node:os')).availableParallelism()))];
if (process.env.RL_GGML_CUDA === '1') args.push('--CDRL_GGML_CUDA=ON', '--CDCMAKE_CUDA_ARCHITECTURES=' + (process.env.CUDA_ARCHS ?? 'native'));
run(process.execPath, args);
