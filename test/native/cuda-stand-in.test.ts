// The CUDA build's host code, run without a GPU on test/cuda-stand-in (a CUDA runtime and cuBLAS whose kernels do
// nothing but whose launches, copies and GEMM operands are checked, and whose device memory the host cannot read).
// Where the addon is built with CUDA (not in CI's CPU build), every graph the engine builds must be accepted by the
// CUDA backend, launch within the GPU's limits and touch only its own allocations; and training steps must not
// upload the weights again. The results themselves are meaningless there, so nothing else is checked.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listDevices } from '../../src/devices.js';
import { packageRoot } from '../../src/native.js';
import { attentionPairs } from '../../src/scoring.js';
import { tempPath, testModel } from '../helpers/models.js';

const nvcc = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).stdout.trim();
const cuda = process.env.CUDA_PATH ?? (nvcc ? dirname(dirname(nvcc)) : '/usr/local/cuda');
const skip = !(await listDevices()).cudaBuilt
  ? 'the addon is built without CUDA'
  : !existsSync(join(cuda, 'include', 'cublas_api.h')) ? `no CUDA toolkit with cuBLAS headers at ${cuda}` : false;
const workload = fileURLToPath(new URL('../helpers/stand-in-workload.js', import.meta.url));

function onStandIn(model: string, steps: number, sequenceSteps = 1) {
  const report = tempPath(`stand-in-${steps}-${sequenceSteps}.json`);
  const run = spawnSync('sh', [join(packageRoot, 'test', 'cuda-stand-in', 'run.sh'), process.execPath, workload, model, String(steps), String(sequenceSteps)], {
    encoding: 'utf8',
    env: { ...process.env, CUDA_PATH: cuda, CUDA_STAND_IN_REPORT: report },
  });
  return { run, report: existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined };
}

t.test('every GPU path runs on the stand-in without a refused op, launch, copy or GEMM', { skip }, async (t) => {
  const model = await testModel({ type: 'q4_0', layers: 2 });
  const one = onStandIn(model, 1);
  t.equal(one.run.status, 0, one.run.stderr);
  t.match(one.run.stdout, /"device":"[^"]*stand-in/, 'ran on the stand-in GPU');
  t.equal(one.report?.errors, 0, 'no CUDA or cuBLAS call was refused');
  t.ok(one.report?.launches > 100 && one.report?.gemms > 0, `${one.report?.launches} kernel launches, ${one.report?.gemms} GEMMs`);
  // training steps upload inputs, never the weights again
  const four = onStandIn(model, 4);
  t.equal(four.run.status, 0, four.run.stderr);
  const perStep = (four.report?.hostToDevice - one.report?.hostToDevice) / 3;
  const weights = statSync(model).size;
  t.ok(perStep < 0.05 * weights, `${perStep} bytes uploaded per training step, weights ${weights} bytes`);
  // a checkpointed step uploads its attention mask once, not once per recomputed layer
  const three = onStandIn(model, 1, 3);
  t.equal(three.run.status, 0, three.run.stderr);
  const n = JSON.parse(one.run.stdout.trim().split('\n').at(-1) as string).sequenceTokens as number;
  const perSequenceStep = (three.report?.hostToDevice - one.report?.hostToDevice) / 2;
  const mask = 2 * attentionPairs(n);
  t.ok(perSequenceStep < 1.5 * mask, `${perSequenceStep} bytes uploaded per checkpointed step of ${n} tokens (f16 mask ${mask} bytes)`);
});

t.test("the other architectures' blocks (projection biases; per-head norms and wide heads; layers without RoPE; Gemma's, soft caps included; OLMo's; Phi-3's fused projections; Granite's multipliers; Mistral 3's temperature; GLM-4's block; EXAONE 4's layers without RoPE; Gemma 4's layers of two shapes) run there too", { skip }, async (t) => {
  const models = [
    { arch: 'qwen2' as const, kvHeads: 2 },
    { arch: 'qwen3' as const, kvHeads: 2, headDim: 32 },
    { arch: 'qwen3' as const, kvHeads: 2, headDim: 32, fusedQkv: true },
    { arch: 'smollm3' as const, layers: 4 },
    { arch: 'gemma3' as const, vocab: 'spm' as const, layers: 6, tied: true, slidingWindow: 8 },
    { arch: 'gemma2' as const, vocab: 'spm' as const, layers: 4, slidingWindow: 8, softCaps: { attention: 2, final: 5 } },
    { arch: 'phi3' as const, kvHeads: 2, ropeFreqs: true },
    { arch: 'olmo2' as const, vocab: 'spm' as const, layers: 4, slidingWindow: 8 },
    { arch: 'granite' as const, kvHeads: 2, biases: true },
    { arch: 'glm4' as const, vocab: 'spm' as const, kvHeads: 2 },
    { arch: 'exaone4' as const, vocab: 'spm' as const, layers: 64, slidingWindow: 8 },
    { arch: 'gemma4' as const, vocab: 'spm' as const, layers: 12, kvHeads: 2, headDim: 32, headDimSwa: 16, kvHeadsGlobal: 1, kEqV: true, slidingWindow: 8, perLayerInputs: 32, sharedKvLayers: 6 },
    { arch: 'mistral3' as const, kvHeads: 2, ropeScaling: { type: 'yarn' as const, factor: 4, originalContext: 8 }, attnTemperature: 0.5 },
  ];
  for (const options of models) {
    const { run, report } = onStandIn(await testModel({ type: 'q4_0', ...options }), 1);
    t.equal(run.status, 0, run.stderr);
    t.equal(report?.errors, 0, `${options.arch}: no CUDA or cuBLAS call was refused`);
  }
});
