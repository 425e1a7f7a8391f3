// A ggml abort (a failed GGML_ASSERT, or any failed CUDA/cuBLAS call in the CUDA backend) is thrown as an engine
// error; a failed device allocation inside ggml's compute must reach users as OUT_OF_MEMORY (OutOfMemoryError), not
// as an internal error. Checked with the addon's own compiled log.cpp, driven through ggml's real abort path.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { buildAndRun, builtLibraries } from '../helpers/native-program.js';

const log = join(packageRoot, 'build', 'CMakeFiles', 'rl_ggml.dir', 'native', 'log.cpp.o');
const libs = [builtLibraries.llama, builtLibraries.ggml, builtLibraries.ggmlCpu, builtLibraries.ggmlBase];
const missing = [log, ...libs].find((f) => !existsSync(f));

t.test('ggml aborts become typed engine errors that say what failed', { skip: missing ? `${missing} is missing (a build with shared ggml libraries?)` : false }, async (t) => {
  const vendor = join(packageRoot, 'vendor', 'llama.cpp');
  const compile = ['-std=c++17', join(packageRoot, 'test', 'native', 'abort-errors.cpp'), `-I${join(packageRoot, 'native')}`, ...['ggml/include', 'ggml/src', 'include'].map((d) => `-I${join(vendor, d)}`)];
  const rows = buildAndRun(t, 'abort-errors', { compiler: 'g++', compile, link: [log, ...libs, '-lpthread', '-lgomp', '-ldl'], separator: '\t' });
  const cases = Object.fromEntries(rows.map(([name, code, message]) => [name, { code, message }]));
  t.same(Object.keys(cases), ['cuda-oom', 'cublas-oom', 'cuda-fault', 'assert', 'stale', 'warnings']);

  for (const name of ['cuda-oom', 'cublas-oom']) {
    t.equal(cases[name].code, 'OUT_OF_MEMORY', `${name}: out of memory`);
    t.match(cases[name].message, /^the device ran out of memory while computing \(CUDA error: .+; current device: 0, in function alloc at ggml-cuda\.cu:508; err\): use a smaller batch/);
  }
  t.equal(cases['cuda-fault'].code, 'NATIVE_FAILURE');
  t.match(cases['cuda-fault'].message, /^ggml internal error: .*: CUDA error \(CUDA error: an illegal memory access was encountered; current device: 0/);
  t.equal(cases.assert.code, 'NATIVE_FAILURE');
  t.match(cases.assert.message, /^ggml internal error: .*abort-errors\.cpp:\d+: GGML_ASSERT\(1 \+ 1 == 3\) failed$/);
  for (const name of ['stale', 'warnings']) t.same(cases[name], { code: 'NATIVE_FAILURE', message: cases[name].message.replace(/ \(.*$/, '') }, `${name}: no details`);
  t.match(cases.stale.message, /^ggml internal error: .*: fatal error$/);
});
