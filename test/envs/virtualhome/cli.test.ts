import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { specs } from '../../../envs/virtualhome/index.js';

t.test('`rl-ggml env list` shows the VirtualHome ids with their action counts, horizons and optimal returns', async (t) => {
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  const out = spawnSync(process.execPath, [main, 'env', 'list', '--json'], { encoding: 'utf8' });
  t.equal(out.status, 0, out.stderr);
  const rows = JSON.parse(out.stdout) as { id: string; actions: number; horizon: number; optimalReturn: number }[];
  for (const spec of specs) {
    const row = rows.find((r) => r.id === spec.id);
    t.same(row && [row.actions, row.horizon, row.optimalReturn], [spec.actionCount, 50, spec.optimalReturn], spec.id);
  }
});
