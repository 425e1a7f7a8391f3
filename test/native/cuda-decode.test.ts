// The CUDA backward kernel decodes quantized weights itself (it never makes a dequantized copy). Its decoders also
// compile for the host, so wherever nvcc is installed this test builds them and checks every supported type against
// ggml's CPU dequantization bit for bit — no GPU needed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { tempPath } from '../helpers/models.js';

const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' });
const ggml = join(packageRoot, 'vendor', 'llama.cpp', 'ggml');
const base = join(packageRoot, 'build', 'llama.cpp', 'ggml', 'src', 'libggml-base.a');
const skip = nvcc.status !== 0 ? 'nvcc is not installed' : !existsSync(base) ? `${base} is missing (a build with shared ggml libraries?)` : false;

t.test('CUDA weight decoders equal ggml dequantization for every supported type', { skip }, async (t) => {
  const exe = tempPath('cuda-decode-check');
  const source = join(packageRoot, 'test', 'native', 'cuda-decode-check.cu');
  const includes = ['include', 'src', 'src/ggml-cuda'].map((d) => `-I${join(ggml, d)}`);
  const build = spawnSync('nvcc', ['-std=c++17', '-O1', source, ...includes, '-o', exe, base, '-lpthread', '-lgomp'], { encoding: 'utf8' });
  t.equal(build.status, 0, build.stderr);
  const run = spawnSync(exe, { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const results = run.stdout.trim().split('\n').map((l) => l.split(' '));
  t.same(results.map(([type]) => type), ['f32', 'f16', 'bf16', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q8_0', 'q2_K', 'q3_K', 'q4_K', 'q5_K', 'q6_K']);
  for (const [type, diff] of results) t.equal(Number(diff), 0, `${type}: decoded exactly`);
});
