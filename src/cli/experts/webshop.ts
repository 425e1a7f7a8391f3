import { writeFileSync } from 'node:fs';
import { webshopGoals } from '../../../envs/chat-tasks.js';
import { InvalidArgumentError } from '../../errors.js';
import { runExpert, type ExpertTrajectory } from '../../../envs/webshop/expert.js';
import { Shop } from '../../../envs/webshop/shop.js';
import type { ExpertsArgs } from './args.js';

/**
 * `rl-ggml experts --env webshop --data-dir DIR --split S --n N --out FILE`: scripted-expert trajectories in ETO's
 * conversation format (`[{id, conversations, reward, goal}]`), for goals of the split in an order shuffled by
 * `--seed` (0 keeps split order); goals the expert cannot finish within 10 steps are skipped.
 */
export async function webshopExperts(argv: ExpertsArgs): Promise<void> {
  if (!argv.dataDir) throw new InvalidArgumentError('NO_DATA_DIR', 'experts --env webshop: --data-dir is required');
  if (!Number.isInteger(argv.n) || argv.n < 0) throw new InvalidArgumentError('BAD_N', `experts: --n must be a non-negative integer, got ${argv.n}`);
  const shop = Shop.open({ dataDir: argv.dataDir });
  const indices = webshopGoals(shop, argv.split, argv.seed);
  const out: ExpertTrajectory[] = [];
  let attempted = 0;
  for (const index of indices) {
    if (out.length >= argv.n) break;
    attempted++;
    const t = runExpert(shop, index);
    if (t) out.push(t);
  }
  writeFileSync(argv.out, JSON.stringify(out, null, 1));
  const summary = {
    written: out.length,
    attempted,
    meanReward: out.length ? out.reduce((s, t) => s + t.reward, 0) / out.length : 0,
    out: argv.out,
  };
  console.log(argv.json ? JSON.stringify(summary) : `wrote ${summary.written} trajectories (${attempted} goals tried, mean reward ${summary.meanReward.toFixed(3)}) to ${argv.out}`);
}
