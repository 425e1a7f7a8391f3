// The CUDA backward kernel (ggml_mul_mat_t, our patch) checked without a GPU wherever nvcc is installed. Its weight
// decoders compile for the host, so every supported type is checked against ggml's CPU dequantization bit for bit;
// and the kernel itself runs on the host under cuda-host-emulation.h (threads, barriers, shared memory and wmma
// emulated), in its bf16 tensor-core and FMA variants, against a double-precision product.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { buildAndRun, builtLibraries } from '../helpers/native-program.js';

const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' });
const ggml = join(packageRoot, 'vendor', 'llama.cpp', 'ggml');
const base = builtLibraries.ggmlBase;
const skip = nvcc.status !== 0 ? 'nvcc is not installed' : !existsSync(base) ? `${base} is missing (a build with shared ggml libraries?)` : false;
const types = ['f32', 'f16', 'bf16', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q8_0', 'q2_K', 'q3_K', 'q4_K', 'q5_K', 'q6_K',
  'iq2_xxs', 'iq2_xs', 'iq2_s', 'iq3_xxs', 'iq3_s', 'iq1_s', 'iq1_m', 'iq4_nl', 'iq4_xs'];

/**
 * Compiles a host C++ source against ggml (nvcc supplies the CUDA headers), links ggml's base library (and `libs`
 * before it), runs it, returns its lines split on spaces.
 */
function hostProgram(t: Test, source: string, name: string, flags: string[] = [], libs: string[] = []): string[][] {
  const includes = ['include', 'src', 'src/ggml-cuda'].map((d) => `-I${join(ggml, d)}`);
  const compile = ['-std=c++20', '-O2', ...flags, '-x', 'c++', source, ...includes, `-I${join(packageRoot, 'test', 'native')}`];
  return buildAndRun(t, name, { compiler: 'nvcc', compile, link: [...libs, base, '-lpthread', '-lgomp'] });
}

t.test('CUDA weight decoders equal ggml dequantization for every supported type', { skip }, async (t) => {
  const results = hostProgram(t, join(packageRoot, 'test', 'native', 'cuda-decode-check.cu'), 'cuda-decode-check');
  t.same(results.map(([type]) => type), types);
  for (const [type, diff] of results) t.equal(Number(diff), 0, `${type}: decoded exactly`);
});

// Relative to the largest |dst|: the FMA path rounds like any float32 product; bf16 keeps 8 mantissa bits of each
// operand (unit roundoff 2^-9 = 2e-3). Variants: the target has tensor cores (Ampere and newer) or not, and the op
// asks for bf16 (the default) or f32 (GGML_PREC_F32).
const variants = [
  ['bf16 tensor-core', 1, 1, 1e-2],
  ['FMA, f32 asked for on a GPU with tensor cores', 1, 0, 1e-5],
  ['FMA, a GPU without tensor cores', 0, 1, 1e-5],
] as const;
for (const [variant, tensorCores, bf16, tolerance] of variants) {
  t.test(`the CUDA kernel (${variant}, emulated on the host) computes Aᵀ·B for every supported type`, { skip }, async (t) => {
    const source = join(packageRoot, 'test', 'native', 'mul-mat-t-emulated.cpp');
    const flags = [`-DMMT_TENSOR_CORES=${tensorCores}`, `-DMMT_BF16=${bf16 ? 'true' : 'false'}`];
    const results = hostProgram(t, source, `mul-mat-t-emulated-${tensorCores}${bf16}`, flags);
    t.same([...new Set(results.map(([type]) => type))], types);
    t.same([...new Set(results.map(([, , layout]) => layout))].sort(), ['scalar', 'vector'], 'both ways of loading B are exercised');
    for (const [type, m, layout, error] of results) t.ok(Number(error) <= tolerance, `${type}, reduction ${m}, ${layout} B: error ${error} <= ${tolerance}`);
  });
}

// The backward of the packed forward's row gathers (activations into attention slots and back) on every layer.
t.test('the CUDA get_rows_back kernels (emulated on the host) equal the CPU backend bit for bit', { skip }, async (t) => {
  const results = hostProgram(t, join(packageRoot, 'test', 'native', 'get-rows-back-emulated.cpp'), 'get-rows-back-emulated', [], [builtLibraries.ggmlCpu]);
  t.same(results.map(([name]) => name), ['slots-to-rows', 'rows-to-slots', 'random-repeats']);
  for (const [name, diff] of results) t.equal(Number(diff), 0, `${name}: max |difference| ${diff}`);
});
