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
  chatTemplate?: string;
}

/** Adds --model, --adapter and --device. */
export function modelSessionOptions(y: Argv): Argv {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'GGUF model path' })
    .option('adapter', { type: 'string', describe: "apply a LoRA adapter (llama.cpp GGUF format, e.g. a checkpoint's adapter.gguf)" })
    .option('device', deviceOption);
}

/** --chat-template, for the commands that lay out conversations (see src/chat-template.ts). */
export const chatTemplateOption = {
  type: 'string',
  default: 'auto',
  describe: "how conversations are written for the model: auto (the model file's own template, else Llama 3's or Llama-2-chat's by the vocabulary), gguf, llama2, or a llama.cpp template name (chatml, llama3, zephyr, mistral-v7, ...); use the same one for sft, explore and eto",
} as const;

/** Loads a model (and optionally a LoRA adapter on it) for one CLI command and frees both afterwards. */
export async function withModel<T>(args: ModelSessionArgs, fn: (model: Model, adapter?: NativeLlmPolicy) => Promise<T>): Promise<T> {
  const model = await loadModel(args.model, { device: args.device, chatTemplate: args.chatTemplate });
  let adapter: NativeLlmPolicy | undefined;
  try {
    if (args.adapter) adapter = await loadAdapter(model, args.adapter);
    return await fn(model, adapter);
  } finally {
    await adapter?.dispose();
    await model.dispose();
  }
}
