/** The options of commands that run a model (with an optional LoRA adapter), and the load/free around them. */
import type { Argv } from 'yargs';
import type { Device } from '../devices.js';
import { InvalidArgumentError } from '../errors.js';
import { loadModel, type Model } from '../model.js';
import { loadAdapter, type NativeLlmPolicy } from '../training/llm-policy.js';
import { deviceOption } from './device-option.js';

/** The chat template options (see chatTemplateOptions). */
export interface ChatTemplateArgs {
  chatTemplate?: string;
  /** JSON text: parsed when the model is loaded (a yargs coerce would hide our error type) */
  chatTemplateKwargs?: string;
}

export interface ModelSessionArgs extends ChatTemplateArgs {
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

/** --chat-template and --chat-template-kwargs (`.options(chatTemplateOptions)`), for the commands that lay out conversations (see src/chat-template.ts). */
export const chatTemplateOptions = {
  'chat-template': {
    type: 'string',
    default: 'auto',
    describe:
      "how conversations are written for the model: auto (the model file's own template, else Llama 3's, ChatML, Gemma's or Llama-2-chat's by the vocabulary), gguf, llama2, or a llama.cpp template name (chatml, llama3, zephyr, mistral-v7, ...); use the same one for sft, explore and eto",
  },
  'chat-template-kwargs': {
    type: 'string',
    describe: `variables for the model file's Jinja template besides the conversation, as a JSON object (as llama.cpp's flag): '{"enable_thinking": false}' for Qwen3's and SmolLM3's; use the same for sft, explore and eto`,
  },
} as const;

function parseKwargs(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError('BAD_OPTIONS', `--chat-template-kwargs is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('BAD_OPTIONS', '--chat-template-kwargs must be a JSON object, e.g. \'{"enable_thinking": false}\'');
  return value as Record<string, unknown>;
}

/** Loads a model (and optionally a LoRA adapter on it) for one CLI command and frees both afterwards. */
export async function withModel<T>(args: ModelSessionArgs, fn: (model: Model, adapter?: NativeLlmPolicy) => Promise<T>): Promise<T> {
  const model = await loadModel(args.model, { device: args.device, chatTemplate: args.chatTemplate, chatTemplateKwargs: parseKwargs(args.chatTemplateKwargs) });
  let adapter: NativeLlmPolicy | undefined;
  try {
    if (args.adapter) adapter = await loadAdapter(model, args.adapter);
    return await fn(model, adapter);
  } finally {
    await adapter?.dispose();
    await model.dispose();
  }
}
