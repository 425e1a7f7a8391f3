/**
 * The device this run of the suite computes on — RL_GGML_DEVICE, else "auto" (the GPU when the build and the machine
 * have one) — and the numerical tolerances that depend on it. `RL_GGML_DEVICE=cuda npm test` runs the whole suite on
 * a GPU.
 *
 * On the CPU our results differ from a reference (node-llama-cpp, ggml's generic formulas, another batching) by
 * summation order only, so the tests hold them to 1e-5..1e-3 — except gradients on CPUs whose backward multiplies in
 * bf16 (see gradientTolerance). On a GPU two roundings enter: ggml's CUDA matmuls with quantized weights quantize
 * the activations to q8_1 blocks (the CPU to q8_0/q8_K), and our backward kernel multiplies in bf16 (8-bit mantissa)
 * from Ampere on. The GPU bounds below are those of test/model/gpu-agreement.test.ts, which compares the two backends
 * directly.
 */
import { listDevices, resolveDeviceOption } from '../../src/devices.js';

const requested = resolveDeviceOption(undefined);
const devices = (await listDevices()).devices;
export const onGpu = requested === 'auto' ? devices.some((d) => d.kind === 'gpu') : requested !== 'cpu';
/**
 * Operand precision of the CPU's backward products through frozen weights in this run: bf16 on CPUs whose
 * AVX512-BF16 products outrun f32, unless RL_GGML_BACKWARD_F32=1 (as the suite was started; child processes inherit it).
 */
export const cpuBackwardPrecision = devices[0].backwardPrecision;

/** How closely our CPU and GPU backends agree; test/model/gpu-agreement.test.ts checks these bounds directly. */
export const gpuAgreement = {
  /** absolute, on log-probs (and values) of about -10 */
  logprob: 0.02,
  /** relative to each tensor's largest gradient */
  gradient: 0.03,
};

/** |Δ log-prob| against a reference computed on the CPU (node-llama-cpp), which our CPU backend meets to 1e-3. */
export const referenceLogprobTolerance = 1e-3 + (onGpu ? gpuAgreement.logprob : 0);

/** |Δ log-prob| between two batchings of the same work on this device (a GPU picks its kernels by batch shape). */
export function batchingTolerance(cpu: number): number {
  return onGpu ? 2e-3 : cpu;
}

/**
 * Gradient difference, relative to each tensor's largest entry, from a reference computed on the CPU in f32: `cpu`
 * where this run's CPU multiplies in f32, 0.02 where it multiplies dx = Wᵀ·dy in bf16 (8-bit mantissa; seen up to
 * 8e-3), the CPU/GPU bound on a GPU.
 */
export function gradientTolerance(cpu: number): number {
  if (onGpu) return gpuAgreement.gradient;
  return cpuBackwardPrecision === 'bf16' ? Math.max(cpu, 0.02) : cpu;
}
