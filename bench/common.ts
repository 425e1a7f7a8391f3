/** Pieces the model benchmarks share: the default benchmark model and interleaved timing. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/make-model.js';

export { timeInterleaved } from '../src/bench/timing.js';

/**
 * `model` when given, else a generated q4_0 model with LLaMA proportions (ff ≈ 2.7 × embd, 32000-token head) at a
 * size a 2-core CPU runs in seconds (8 layers × 1024), made once into bench/.models.
 */
export async function benchModel(model: string | undefined): Promise<string> {
  if (model) return model;
  mkdirSync(join('bench', '.models'), { recursive: true });
  const path = join('bench', '.models', 'score-q4_0-8x1024.gguf');
  if (!existsSync(path)) await makeModel({ out: path, type: 'q4_0', layers: 8, embd: 1024, heads: 16, kvHeads: 16, ff: 2816 });
  return path;
}
