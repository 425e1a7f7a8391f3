/** Pieces the model benchmarks share: the default benchmark model and interleaved timing. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/make-model.js';

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

/**
 * Seconds per call of each function, measured in interleaved rounds (a, b, c, a, b, c, ...) for at least `minSeconds`
 * and `minRounds`, summarized by the median, so that load from other processes hits every side alike.
 */
export async function timeInterleaved(minSeconds: number, fns: (() => Promise<void>)[], minRounds = 5): Promise<number[]> {
  for (const fn of fns) await fn(); // warm-up
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  while (performance.now() - start < minSeconds * 1000 || samples[0].length < minRounds) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[i].push((performance.now() - t0) / 1000);
    }
  }
  return samples.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}
