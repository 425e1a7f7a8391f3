/** Loads a model (and optionally a LoRA adapter on it) for one CLI command and frees both afterwards. */
import type { Device } from '../devices.js';
import { loadModel, type Model } from '../model.js';
import { loadAdapter, type NativeLlmPolicy } from '../training/llm-policy.js';

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
