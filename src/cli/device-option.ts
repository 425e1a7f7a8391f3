/** The `--device` flag of every command that runs a model. */
import type { Options } from 'yargs';
import { resolveDeviceOption, type Device } from '../devices.js';

export const deviceOption: Options = {
  type: 'string',
  describe: 'compute device: auto (a CUDA GPU when present, else the CPU), cpu, cuda or cuda:N [default: $RL_GGML_DEVICE, else auto]',
  coerce: (v: string | undefined): Device | undefined => (v === undefined ? undefined : resolveDeviceOption(v)),
};
