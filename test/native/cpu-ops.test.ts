// rl-ggml's own CPU paths inside ggml (native/patches 0002, 0006, 0007 and 0011), run through ggml's graph API on odd
// shapes and thread counts against plain loops: short-row products and transposed products (the backward's dx = Wᵀ·dy,
// and per expert, through a mixture of experts) against a double-precision product, the transposed product's own unpacking of each weight type against ggml's
// to_float (value for value), transposing copies bit for bit (f32 and f16).
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { buildAndRun, builtLibraries } from '../helpers/native-program.js';

const libs = [builtLibraries.ggml, builtLibraries.ggmlCpu, builtLibraries.ggmlBase];
const missing = libs.find((f) => !existsSync(f));

t.test('short-row products, transposed products, unpacked weights and transposing copies agree with plain loops', { skip: missing ? `${missing} is missing` : false }, async (t) => {
  const compile = ['-std=c++17', '-O1', join(packageRoot, 'test', 'native', 'cpu-ops.cpp'), `-I${join(packageRoot, 'vendor', 'llama.cpp', 'ggml', 'include')}`];
  const rows = buildAndRun(t, 'cpu-ops', { compiler: 'g++', compile, link: [...libs, '-lpthread', '-lgomp', '-ldl'] });
  const products = rows.filter((r) => r[0] === 'mul_mat');
  const copies = rows.filter((r) => r[0] === 'cont');
  const transposed = rows.filter((r) => r[0] === 'mul_mat_t' || r[0] === 'mul_mat_t_id');
  const unpacked = rows.filter((r) => r[0] === 'unpacked');
  t.equal(products.length, 10);
  t.equal(copies.length, 16);
  const kernels = Number(rows.find((r) => r[0] === 'mul_mat_t_kernels')?.[1]);
  t.ok(kernels === 1 || kernels === 3, `mul_mat_t kernels: ${kernels}`);
  t.equal(transposed.length, 2 * 15 * kernels);
  // bf16 operands keep 8 bits of mantissa (unit roundoff 2^-9); f32 rounds like any float product
  for (const [op, type, shape, precision, threads, error] of transposed) {
    const bound = precision === 'bf16' ? 1e-2 : 4e-6;
    t.ok(Number(error) < bound, `${op} ${type} ${shape} in ${precision}, ${threads} threads: relative error ${error} < ${bound}`);
  }
  for (const [, shape, threads, error] of products) t.ok(Number(error) < 1e-6, `mul_mat ${shape}, ${threads} threads: relative error ${error}`);
  t.equal(unpacked.length, 20);
  for (const [, type, shape, threads, mismatches] of unpacked) t.equal(mismatches, '0', `mul_mat_t unpacks ${type} ${shape} as to_float does, ${threads} threads`);
  for (const [, type, shape, threads, mismatches] of copies) t.equal(mismatches, '0', `cont ${type} ${shape}, ${threads} threads`);
});
