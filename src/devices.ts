/**
 * Compute devices: what this build of rl-ggml can run on, and the `device` option every model-loading API and CLI
 * command takes. The CPU backend is always built; CUDA GPUs need an install with RL_GGML_CUDA=1 (or a detected
 * CUDA toolkit).
 */
import { InvalidArgumentError } from './errors.js';
import { callNative, native } from './native.js';

/** "auto" (a CUDA GPU when present, else the CPU), "cpu", "cuda" (the first GPU) or "cuda:N". */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export interface DeviceInfo {
  /** The value to pass as `device` to pick this one: "cpu", "cuda:0", ... */
  id: string;
  /** ggml's backend name: "CPU", "CUDA0", ... */
  name: string;
  /** The processor's or GPU's model name. */
  description: string;
  kind: 'cpu' | 'gpu';
  /** Bytes free and in all (for the CPU: system memory). */
  memoryFree: number;
  memoryTotal: number;
  /**
   * The operand precision of the backward pass's products through the frozen weights (dx = Wᵀ·dy, always
   * accumulated in f32): "bf16", the usual mixed-precision trade, where the device multiplies bf16 faster than f32
   * (NVIDIA GPUs from Ampere on; CPUs whose AVX512-BF16 products outrun their f32 ones, such as AMD's Zen 4, which the
   * engine measures when it starts), else "f32". RL_GGML_BACKWARD_F32=1 makes every device multiply in f32.
   */
  backwardPrecision: 'f32' | 'bf16';
}

export interface DeviceList {
  /** Whether this build has the CUDA backend (without it, no GPU is ever listed). */
  cudaBuilt: boolean;
  /** CPU first, then GPUs in CUDA's order. */
  devices: DeviceInfo[];
}

/** The devices this build of rl-ggml can use on this machine. */
export function listDevices(): Promise<DeviceList> {
  return callNative(() => native().listDevices());
}

/** Validates a device option; without one, RL_GGML_DEVICE, else "auto". */
export function resolveDeviceOption(device: string | undefined): Device {
  const value = device ?? process.env.RL_GGML_DEVICE ?? 'auto';
  if (value === 'auto' || value === 'cpu' || value === 'cuda' || /^cuda:\d+$/.test(value)) return value as Device;
  const from = device === undefined ? ' (from RL_GGML_DEVICE)' : '';
  throw new InvalidArgumentError('INVALID_ARGUMENT', `unknown device "${value}"${from}: use auto, cpu, cuda or cuda:N`);
}
