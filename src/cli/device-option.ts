/** The `--device` flag of every command that runs a model (validated where the model is loaded). */
import type { Options } from 'yargs';

export const deviceOption: Options = {
  type: 'string',
  describe: 'compute device: auto (a CUDA GPU when present, else the CPU), cpu, cuda or cuda:N [default: $RL_GGML_DEVICE, else auto]',
};
