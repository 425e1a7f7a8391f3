import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { configFromArgs, runTrain, type TrainArgs } from '../../src/cli/commands/train.js';
import { evalCommand, formatEvaluation } from '../../src/cli/commands/eval.js';
import { plotCommand } from '../../src/cli/commands/plot.js';
import { plotRuns } from '../../src/train/plot.js';
import { formatDuration, progressBar, progressPrinter } from '../../src/train/progress.js';
import { train, type TrainProgress } from '../../src/train/train.js';
import { loadModel } from '../../src/model.js';
import { sft } from '../../src/training/sft.js';
import { testModel } from '../helpers/models.js';

const base = { env: 'overcooked/tomato-salad', algo: 'ppo', envs: 2, rolloutSteps: 32, totalDecisions: 640, lr: 0.003 };

/** A writer that keeps what it is given. */
function sink() {
  const chunks: string[] = [];
  return { chunks, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

t.test('plot: runs that differ only by seed form one series (mean ± std); svg and png', async (t) => {
  const dir = t.testdir();
  const runs = await Promise.all([1, 2].map((seed) => train({ out: join(dir, `s${seed}`), config: { ...base, seed } })));
  const other = await train({ out: join(dir, 'fast'), config: { ...base, lr: 0.01 } });
  const svg = await plotRuns({ runs: [...runs.map((r) => r.runDir), other.runDir], out: join(dir, 'c.svg'), smooth: 2 });
  t.same(svg.series.map((s) => s.label), ['ppo (s1) (2 seeds)', 'ppo (fast)']);
  const [pair, single] = svg.series;
  t.ok(pair.points.length > 0 && pair.points.every((p) => p.low <= p.mean && p.mean <= p.high));
  t.ok(pair.points.every((p, i) => i === 0 || p.x > pair.points[i - 1].x), 'points by decisions');
  t.ok(single.points.every((p) => p.low === p.mean && p.high === p.mean));
  const text = readFileSync(join(dir, 'c.svg'), 'utf8');
  t.match(text, /^<svg/);
  t.match(text, /overcooked\/tomato-salad/);
  t.match(text, /decisions/);
  const png = await plotRuns({ runs: [runs[0].runDir], out: join(dir, 'c.png') });
  t.equal(png.format, 'png');
  t.same([...readFileSync(join(dir, 'c.png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  await t.rejects(plotRuns({ runs: [runs[0].runDir], out: join(dir, 'c.jpg') }), /must be a .svg or .png file/);
  await t.rejects(plotRuns({ runs: [], out: join(dir, 'c.svg') }), /at least one run folder/);
  await t.rejects(plotRuns({ runs: [runs[0].runDir], out: join(dir, 'c.svg'), smooth: 0 }), /smooth must be a positive integer/);

  // The command handler.
  const logged: string[] = [];
  t.intercept(console, 'log', { value: (s: string) => logged.push(s) });
  await (plotCommand.handler as (a: unknown) => Promise<void>)({ runs: [runs[0].runDir], out: join(dir, 'd.svg'), smooth: 10 });
  t.match(logged[0], /wrote .*d.svg: ppo \(\d+ points\)/);
});

t.test('plot: loss curves of sft folders and eto runs; one kind at a time', async (t) => {
  const dir = t.testdir();
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const data = [{ id: 'a', conversations: [{ from: 'human' as const, value: 'Say hi.' }, { from: 'gpt' as const, value: 'Action: hi' }] }];
  const sftRun = await sft({ model, data, out: join(dir, 'sft'), steps: 6, batch: 1, lr: 1e-2 });
  await sftRun.policy.dispose();
  const s = await plotRuns({ runs: [join(dir, 'sft')], out: join(dir, 'sft.svg'), smooth: 2 });
  t.same(s.series.map((x) => x.label), ['sft']);
  t.same(s.series[0].points.map((p) => p.x), [1, 2, 3, 4, 5, 6]);
  t.equal(s.series[0].points[1].mean, (sftRun.losses[0] + sftRun.losses[1]) / 2, 'each point averages the steps up to it');
  t.match(readFileSync(join(dir, 'sft.svg'), 'utf8'), /loss per agent token/);

  // an eto run's DPO steps, iteration after iteration
  const eto = join(dir, 'eto');
  mkdirSync(eto);
  writeFileSync(join(eto, 'config.json'), '{}');
  const dpo = (iteration: number, step: number, loss: number) => ({ type: 'dpo', iteration, step, steps: 2, loss });
  const lines = [dpo(1, 1, 0.7), dpo(1, 2, 0.5), { type: 'iteration', iteration: 1, steps: 2 }, dpo(2, 1, 0.6), dpo(2, 2, 0.4)];
  writeFileSync(join(eto, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"type":"dpo","itera`);
  const e = await plotRuns({ runs: [eto], out: join(dir, 'eto.svg'), smooth: 1 });
  t.same(e.series[0].points.map((p) => [p.x, p.mean]), [[1, 0.7], [2, 0.5], [3, 0.6], [4, 0.4]], 'a line cut short is skipped');
  t.match(readFileSync(join(dir, 'eto.svg'), 'utf8'), /DPO loss/);
  await t.rejects(plotRuns({ runs: [eto, join(dir, 'sft')], out: join(dir, 'x.svg') }), { code: 'BAD_OPTIONS', message: /one kind at a time/ });
  await t.rejects(plotRuns({ runs: [dir], out: join(dir, 'x.svg') }), { code: 'BAD_RUN' });
});

t.test('train command: flags become config values (bad ones keep their text for the schema message)', async (t) => {
  t.same(configFromArgs({ env: 'e', lr: '0.5', seed: '3', targetKl: 'none', clipValue: '0.1', loraTargets: ['q,v', 'k'], valueHidden: ['16,8'], actionMask: false, junk: 1 }), {
    env: 'e', lr: 0.5, seed: 3, targetKl: null, clipValue: 0.1, loraTargets: ['q', 'v', 'k'], valueHidden: [16, 8], actionMask: false,
  });
  t.same(configFromArgs({ lr: 'fast' }), { lr: 'fast' });
  const out = sink();
  await t.rejects(runTrain({ resume: false, json: false, lr: 'fast', env: 'overcooked/tomato-salad', algo: 'ppo' } as TrainArgs, out, 'plain'), /"lr" must be a number ≥ 0, got "fast"/);
  await t.rejects(runTrain({ resume: false, json: false } as TrainArgs, out, 'plain'), /train needs --env and --algo/);
});

t.test('train command: plain lines, JSON progress, the stop message and exit', async (t) => {
  const dir = t.testdir();
  const plain = sink();
  const r = await runTrain({ resume: false, json: false, out: join(dir, 'a'), env: 'overcooked/tomato-salad', algo: 'ppo', envs: '2', rolloutSteps: '32', totalDecisions: '128' } as TrainArgs, plain, 'plain');
  t.equal(r.update, 2);
  t.match(plain.text(), /update 1\/2: 64\/128 decisions \| return .* \| [\d,]+ dec\/s \| ETA/);
  t.match(plain.text(), /update 2\/2: 128\/128 decisions/);
  t.match(plain.text(), /done: 128 decisions in 2 updates; run folder .*a\n$/);

  const json = sink();
  const controller = new AbortController();
  controller.abort();
  const stopped = await runTrain({ resume: false, json: true, out: join(dir, 'b'), env: 'overcooked/tomato-salad', algo: 'ppo', totalDecisions: '1024' } as TrainArgs, json, 'json', { signal: controller.signal });
  t.equal(stopped.stopped, true);
  const lines = json.text().trim().split('\n').map((l) => JSON.parse(l));
  t.match(lines[lines.length - 1], { type: 'result', stopped: true, update: 0 });

  const tty = sink();
  await runTrain({ resume: true, json: false, out: join(dir, 'b'), totalDecisions: '1024' } as TrainArgs, tty, 'tty');
  t.match(tty.text(), /\r\x1b\[2K\[#+\] 100\.0% 1,024\/1,024 decisions/);
});

t.test('progress rendering', async (t) => {
  const p = { update: 1, updates: 4, decisions: 250, totalDecisions: 1000, recentReturn: 0.5, decisionsPerSecond: 1234.4, etaSeconds: 3725, metrics: {} } as TrainProgress;
  t.equal(progressBar(p, 8), '[##------]  25.0% 250/1,000 decisions | return 0.5000 | 1,234 dec/s | ETA 1h02m');
  t.equal(progressBar({ ...p, recentReturn: null }, 4).includes('return –'), true);
  t.equal(formatDuration(75), '1m15s');
  t.equal(formatDuration(Infinity), '?');
  const out = sink();
  let clock = 0;
  const printer = progressPrinter('plain', out, 10, () => clock);
  printer.update(p);
  clock = 5;
  printer.update({ ...p, update: 2 });
  clock = 11;
  printer.update({ ...p, update: 3 });
  printer.update({ ...p, update: 4 });
  t.same(out.chunks.map((c) => c.slice(0, 10)), ['update 1/4', 'update 3/4', 'update 4/4'], 'at most one line per interval, and the last');
  const json = sink();
  const jp = progressPrinter('json', json);
  jp.note('hello');
  jp.update(p);
  t.match(JSON.parse(json.chunks[0]), { type: 'notice', message: 'hello' });
  t.match(JSON.parse(json.chunks[1]), { type: 'progress', update: 1 });
});

t.test('eval command output', async (t) => {
  const dir = t.testdir();
  const run = await train({ out: join(dir, 'r'), config: { ...base, totalDecisions: 64 } });
  const logged: string[] = [];
  t.intercept(console, 'log', { value: (s: string) => logged.push(s) });
  await (evalCommand.handler as (a: unknown) => Promise<void>)({ run: run.runDir, episodes: 2, greedy: false, json: true });
  const j = JSON.parse(logged[0]);
  t.same(Object.keys(j).slice(0, 5), ['meanReturn', 'stdReturn', 'successRate', 'meanLength', 'episodes']);
  t.equal(j.episodes, 2);
  const text = formatEvaluation({ ...j, returns: [], successRate: 0.5 }, false);
  t.match(text, /return\s+-?\d\.\d{4} ± \d\.\d{4} \(logged\)\nsuccess\s+50\.0%\nlength\s+\d+\.\d steps/);
  t.match(formatEvaluation({ ...j, returns: [], successRate: null }, false), /success\s+not reported/);
});
