// TWOSOME on the native engine learns: a short seeded run on Tomato Salad ends far above the random policy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { makeEnv } from '../../envs/registry.js';
import { train, type UpdateMetrics } from '../../src/train/train.js';
import { testModel } from '../helpers/models.js';

/** Mean logged return of the uniform policy over offered actions (seeded). */
function randomPolicyReturn(episodes: number): number {
  const env = makeEnv('overcooked/tomato-salad');
  let s = 1;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let obs = env.reset();
    for (;;) {
      const r = env.step(obs.valid[Math.floor(rand() * obs.valid.length)]);
      obs = r.observation;
      if (r.done) {
        total += r.info.return;
        break;
      }
    }
  }
  return total / episodes;
}

t.test('twosome learns tomato salad with a small generated model', async (t) => {
  // A random-weights model's word-normalized scores mostly reflect token counts; token normalization and a broad
  // untrained distribution (output scale 0.5) give PPO a near-uniform start, and the LoRA learns from there.
  const model = await testModel({ outputScale: 0.5 });
  const dir = t.testdir();
  await train({
    out: join(dir, 'run'),
    config: {
      env: 'overcooked/tomato-salad', algo: 'twosome', model, seed: 1, normalization: 'token', totalDecisions: 48 * 128,
      actorLr: 1e-3, criticLr: 1e-3, loraTargets: ['q', 'v', 'o', 'up', 'down'], checkpointEvery: 1000,
    },
  });
  const metrics = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as UpdateMetrics);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const late = mean(metrics.slice(-8).flatMap((m) => m.returns));
  const random = randomPolicyReturn(2000);
  t.ok(late > random + 0.4, `mean return of the last 8 updates ${late.toFixed(3)} vs the random policy's ${random.toFixed(3)}`);
});
