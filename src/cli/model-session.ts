/** The options of commands that run a model (with an optional LoRA adapter), and the load/free around them. */
import type { Argv } from 'yargs';
import type { Device } from '../devices.js';
import { loadModel, type Model } from '../model.js';
import { loadAdapter, type NativeLlmPolicy } from '../training/llm-policy.js';
import { deviceOption } from './device-option.js';

export interface ModelSessionArgs {
  model: string;
  adapter?: string;
  device?: Device;
}

/** Adds --model, --adapter and --device. */
export function modelSessionOptions(y: Argv): Argv {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'GGUF model path' })
    .option('adapter', { type: 'string', describe: "apply a LoRA adapter (llama.cpp GGUF format, e.g. a checkpoint's adapter.gguf)" })
    .option('device', deviceOption);
}

/** Loads a model (and optionally a LoRA adapter on it) for one CLI command and frees both afterwards. */
export async function withModel<T>(
  path: string,
  adapterPath: string | undefined,
  device: Device | undefined,
  fn: (model: Model, adapter?: NativeLlmPolicy) => Promise<T>,
): Promise<T> {
  const model = await loadModel(path, { device });
  let adapter: NativeLlmPolicy | undefined;
  try {
    if (adapterPath) adapter = await loadAdapter(model, adapterPath);
    return await fn(model, adapter);
  } finally {
    await adapter?.dispose();
    await model.dispose();
  }
}
