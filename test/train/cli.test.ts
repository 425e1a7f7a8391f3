import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, runCliInterrupted } from '../helpers/cli.js';

t.test('rl-ggml train: Ctrl-C writes a checkpoint and exits 130; --resume finishes; eval and plot read the run', async (t) => {
  const dir = t.testdir();
  const out = join(dir, 'run');
  const { status: code, stdout, stderr } = await runCliInterrupted(
    ['train', '--env', 'overcooked/tomato-salad', '--algo', 'ppo', '--out', out, '--steps', '4096', '--envs', '2', '--rollout-steps', '32', '--json'],
    (o) => o.includes('"type":"progress"'),
  );
  t.equal(code, 130, stderr);
  t.match(stderr, /stopping: writing a checkpoint/);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  const result = lines[lines.length - 1];
  t.match(result, { type: 'result', stopped: true });
  t.ok(existsSync(join(out, 'checkpoints', 'latest')));
  t.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, result.update);

  const resumed = runCli(['train', '--out', out, '--resume', '--json']);
  t.equal(resumed.status, 0, resumed.stderr);
  t.match(JSON.parse(resumed.stdout.trim().split('\n').pop()!), { type: 'result', stopped: false, decisions: 4096 });

  const e = runCli(['eval', '--run', out, '--episodes', '4', '--json']);
  t.equal(e.status, 0, e.stderr);
  t.match(JSON.parse(e.stdout), { episodes: 4, env: 'overcooked/tomato-salad' });
  const p = runCli(['plot', out, '--out', join(dir, 'c.svg')]);
  t.equal(p.status, 0, p.stderr);
  t.ok(existsSync(join(dir, 'c.svg')));

  const bad = runCli(['train', '--env', 'overcooked/tomato-salad', '--algo', 'ppo', '--out', join(dir, 'bad'), '--gamma', 'high']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^rl-ggml: options: "gamma" must be a number ≥ 0 and ≤ 1, got "high"\n$/);
  t.notOk(existsSync(join(dir, 'bad')));
});
