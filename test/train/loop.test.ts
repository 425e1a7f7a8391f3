import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { makeVectorEnv } from '../../envs/core/vector.js';
import { evaluate } from '../../src/train/evaluate.js';
import { Rng } from '../../src/train/rng.js';
import { train, type TrainProgress, type UpdateMetrics } from '../../src/train/train.js';

/** The metrics without wall-clock figures (which differ between runs). */
function learning(dir: string): Omit<UpdateMetrics, 'decisionsPerSecond' | 'tokensPerSecond' | 'seconds'>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { decisionsPerSecond: _d, tokensPerSecond: _t, seconds: _s, ...rest } = JSON.parse(l) as UpdateMetrics;
      return rest;
    });
}

const small = { env: 'overcooked/tomato-salad', algo: 'ppo', envs: 2, rolloutSteps: 32, totalDecisions: 512, checkpointEvery: 3, lr: 0.003 };

/** Mean logged return of a uniform random policy over `episodes` episodes (seeded). */
function randomReturn(env: string, episodes: number): number {
  const rng = new Rng(11);
  const vector = makeVectorEnv(env, 4);
  const obs = vector.reset();
  const returns: number[] = [];
  let current = obs;
  while (returns.length < episodes) {
    const step = vector.step(current.map((o) => o.valid[Math.floor(rng.next() * o.valid.length)]));
    returns.push(...step.finished.map((e) => e.return));
    current = step.observations;
  }
  return returns.slice(0, episodes).reduce((a, b) => a + b, 0) / episodes;
}

t.test('ppo learns tomato salad: a short seeded run ends far above the random policy', async (t) => {
  const dir = t.testdir();
  const config = { env: 'overcooked/tomato-salad', algo: 'ppo', rolloutSteps: 64, totalDecisions: 256 * 24, lr: 0.003, seed: 3 };
  const r = await train({ out: join(dir, 'a'), config });
  t.match(r, { stopped: false, update: 24, updates: 24, decisions: 6144 });
  const m = learning(r.runDir);
  const late = m.slice(-4).flatMap((x) => x.returns);
  const trained = late.reduce((a, b) => a + b, 0) / late.length;
  const random = randomReturn('overcooked/tomato-salad', 200);
  t.ok(trained > random + 0.5, `trained ${trained} vs random ${random}`);
  const success = m.slice(-4).map((x) => x.successRate as number);
  t.ok(success.every((x) => x >= 0.9), `late episodes deliver the salad: ${success}`);
});

t.test('run folder: config, metrics per update, atomic checkpoints (kept: the newest), decaying lr', async (t) => {
  const dir = join(t.testdir(), 'run');
  const progress: TrainProgress[] = [];
  const r = await train({ out: dir, config: { ...small, keepCheckpoints: 2 } }, { onProgress: (p) => progress.push(p) });
  t.same(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).lr, 0.003);
  t.same(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), { format: 1 });
  const m = learning(dir);
  t.equal(m.length, 8);
  t.same(m.map((x) => x.decisions), [64, 128, 192, 256, 320, 384, 448, 512]);
  t.ok(Math.abs(m[0].lrs.lr - 0.003) < 1e-15 && Math.abs(m[7].lrs.lr - 0.003 / 8) < 1e-15, 'lr decays linearly');
  for (const x of m) {
    t.equal(x.returns.length, x.episodes);
    t.ok(Number.isFinite(x.policyLoss) && Number.isFinite(x.valueLoss) && (x.entropy as number) > 0 && (x.clipFraction as number) >= 0);
  }
  const first = JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')[0]) as UpdateMetrics;
  t.ok(first.decisionsPerSecond > 0 && first.seconds.total >= first.seconds.env);
  t.same(readdirSync(join(dir, 'checkpoints')).sort(), ['latest', 'update-000006', 'update-000008']);
  t.equal(r.checkpoint, join(dir, 'checkpoints', 'update-000008'));
  t.same(readdirSync(r.checkpoint!).sort(), ['ppo.json', 'state.json']);
  t.equal(progress.length, 8);
  t.match(progress[7], { update: 8, updates: 8, decisions: 512, totalDecisions: 512, etaSeconds: 0 });
});

t.test('resume after a stop at an update boundary gives the uninterrupted metrics', async (t) => {
  const dir = t.testdir();
  const whole = await train({ out: join(dir, 'whole'), config: small });
  const controller = new AbortController();
  const first = await train({ out: join(dir, 'cut'), config: small }, { signal: controller.signal, onProgress: (p) => p.update === 4 && controller.abort() });
  t.match(first, { stopped: true, update: 4 });
  t.ok(existsSync(join(dir, 'cut', 'checkpoints', 'update-000004', 'state.json')), 'the stop wrote a checkpoint');
  const notices: string[] = [];
  const rest = await train({ out: join(dir, 'cut'), resume: true }, { onNotice: (m) => notices.push(m) });
  t.match(rest, { stopped: false, update: 8 });
  t.match(notices[0], /resuming .* after update 4 \(256 decisions\)/);
  t.same(learning(join(dir, 'cut')), learning(whole.runDir));
});

t.test('resume after a stop in the middle of a rollout replays that rollout exactly', async (t) => {
  const dir = t.testdir();
  const whole = await train({ out: join(dir, 'whole'), config: small });
  // The loop reads `aborted` once before the first update, after every vector step and after every update.
  let reads = 0;
  const signal = { get aborted() { return ++reads > 1 + 33 * 5 + 10; } } as AbortSignal;
  const first = await train({ out: join(dir, 'cut'), config: small }, { signal });
  t.match(first, { stopped: true, update: 5 });
  t.equal(learning(join(dir, 'cut')).length, 5);
  await train({ out: join(dir, 'cut'), resume: true });
  t.same(learning(join(dir, 'cut')), learning(whole.runDir));
});

t.test('bad input: clear errors and no run folder left behind', async (t) => {
  const dir = t.testdir();
  const out = join(dir, 'x');
  await t.rejects(train({ out, config: { env: 'nowhere', algo: 'ppo' } }), /unknown environment "nowhere"/);
  await t.rejects(train({ out, config: { ...small, algo: 'sarsa' } }), /"algo" must be a string \(one of twosome, ppo, saycan\)/);
  await t.rejects(train({ out, config: { ...small, lr: 'big' } }), /"lr" must be a number/);
  await t.rejects(train({ out, config: { ...small, color: 'red' } }), /unknown key "color"/);
  await t.rejects(train({ out, config: small, configFile: join(dir, 'none.json') }), /cannot read the config file/);
  await t.rejects(train({ out, config: { env: 'webshop', algo: 'ppo' } }), /algo "ppo" needs a fixed action list; env "webshop" has none/);
  t.notOk(existsSync(out));
  await t.rejects(train({ out, resume: true }), /nothing to resume/);
  await t.rejects(train({ resume: true }), /--resume needs the run folder/);
  t.notOk(existsSync(out));

  await train({ out, config: { ...small, totalDecisions: 64 } });
  await t.rejects(train({ out, config: small }), /already holds files: pass --resume/);
  await t.rejects(train({ out, resume: true, config: { lr: 0.01 } }), /cannot resume .* with a different configuration: lr was 0.003, now 0.01/);
  await t.rejects(train({ out, resume: true, config: { env: 'overcooked/tomato-lettuce-salad' } }), /env was "overcooked\/tomato-salad", now "overcooked\/tomato-lettuce-salad"/);
  // Resuming a finished run does nothing more.
  t.match(await train({ out, resume: true }), { update: 1, updates: 1, stopped: false });
});

t.test('evaluate: a ppo run on its env and on an unseen VirtualHome variant; mismatched envs are refused', async (t) => {
  const dir = t.testdir();
  const vh = await train({ out: join(dir, 'vh'), config: { env: 'virtualhome/food-preparation', algo: 'ppo', envs: 2, rolloutSteps: 32, totalDecisions: 128 } });
  const seen: number[] = [];
  const r = await evaluate({ run: vh.runDir, episodes: 5 }, { onEpisode: (d) => seen.push(d) });
  t.same(seen, [1, 2, 3, 4, 5]);
  t.match(r, { env: 'virtualhome/food-preparation', algo: 'ppo', episodes: 5 });
  t.equal(r.returns.length, 5);
  t.ok(r.successRate !== null && r.successRate >= 0 && r.successRate <= 1);
  t.ok(r.meanLength >= 1 && r.meanLength <= 50 && r.stdReturn >= 0);
  const again = await evaluate({ run: vh.runDir, episodes: 5 });
  t.same(again.returns, r.returns, 'seeded: the same episodes');
  const greedy = await evaluate({ run: vh.runDir, env: 'virtualhome/cheese', episodes: 3, greedy: true, envs: 1 });
  t.match(greedy, { env: 'virtualhome/cheese', episodes: 3 });
  await t.rejects(evaluate({ run: vh.runDir, env: 'virtualhome/entertainment' }), /does not fit networks trained on "virtualhome\/food-preparation"/);
  await t.rejects(evaluate({ run: vh.runDir, episodes: 0 }), /episodes must be a positive integer/);
  await t.rejects(evaluate({ run: join(dir, 'nothing') }), /not a run folder/);
});
