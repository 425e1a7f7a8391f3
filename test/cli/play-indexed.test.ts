import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSpecs } from '../../envs/registry.js';
import { parseActions, replayEpisode, type EpisodeRecord, type StepRecord } from '../../src/cli/play/indexed.js';
import { EnvError, InvalidArgumentError } from '../../src/errors.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TS = 'overcooked/tomato-salad';
const TLS = 'overcooked/tomato-lettuce-salad';

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

t.test('--actions --json prints one object per step and stops at done', async (t) => {
  const r = cli(['play', TS, '--actions', '0,2,4,0,1,3,4,4', '--json']);
  t.equal(r.code, 0, r.err);
  const steps = r.lines.map((l) => JSON.parse(l) as StepRecord);
  t.equal(steps.length, 6);
  t.same(Object.keys(steps[0]), ['step', 'actions', 'valid', 'action', 'reward', 'done', 'macroSteps', 'obs', 'return']);
  t.same(
    steps.map((s) => s.step),
    [0, 1, 2, 3, 4, 5],
  );
  t.same(steps[0].actions, ['pick up the tomato', 'take the bowl', 'walk to the cutting board', 'serve nothing', 'chop nothing'], 'actions as offered before the step');
  t.same(steps[0].obs, [1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 5, 1, 0, 0, 0, 0, 0, 0], 'vector after the step');
  t.equal(steps[5].actions[0], 'put the tomato in the bowl');
  t.same(
    steps.map((s) => s.macroSteps),
    [2, 5, 3, 1, 10, 7],
  );
  t.match(steps[5], { action: 3, reward: 0.9346866841916989, done: true, return: 0.920518092564195 });
});

t.test('--replay --json prints one episode per line, for any registered id', async (t) => {
  const other = envSpecs.find((s) => s.actionCount !== null && !s.id.startsWith('overcooked/'));
  const file = join(t.testdirName, 'episodes.jsonl');
  t.testdir({});
  const lines = [
    { env: TLS, actions: [0, 4, 7, 1, 5, 7, 3, 0, 1, 6, 2, 2] },
    { env: TS, actions: [4, 4] },
    ...(other ? [{ env: other.id, actions: [0] }] : []),
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
  const r = cli(['play', '--replay', file, '--json']);
  t.equal(r.code, 0, r.err);
  const episodes = r.lines.map((l) => JSON.parse(l) as EpisodeRecord);
  t.equal(episodes.length, lines.length);
  t.same(Object.keys(episodes[0]), ['env', 'actions', 'steps', 'return', 'length']);
  t.match(episodes[0], { env: TLS, return: 0.9476564569165644, length: 45 });
  t.same(episodes[0].actions, lines[0].actions);
  t.equal(episodes[0].steps.length, 10, 'stops at done');
  t.match(episodes[1], { env: TS, length: 2 });
  t.equal(episodes[1].return, -0.001 + 0.99 * -0.001);
  t.equal(episodes[1].steps[1].done, false);
  if (other) t.equal(episodes[2].env, other.id);

  const human = cli(['play', '--replay', file]);
  t.equal(human.code, 0);
  t.match(human.out, /return 0\.9476564569165644, length 45, 10 decisions/);
});

t.test('errors: unknown env, bad indices, bad input', async (t) => {
  const unknown = cli(['play', 'overcooked/nope', '--actions', '0']);
  t.equal(unknown.code, 1);
  for (const spec of envSpecs) t.match(unknown.err, spec.id);
  const outside = cli(['play', TS, '--actions', '0,5', '--json']);
  t.equal(outside.code, 1);
  t.equal(outside.lines.length, 1, 'the steps before the error are printed');
  t.match(outside.err, /action 5 at step 1 is outside the action list 0\.\.4/);
  t.match(cli(['play', TS, '--actions', '0,x']).err, /comma-separated integers/);
  t.match(cli(['play']).err, /give an environment id/);

  t.testdir({ 'bad.jsonl': '{"env":"overcooked/tomato-salad","actions":[0]}\nnot json\n', 'noenv.jsonl': '{"actions":[0]}\n', 'badactions.jsonl': '{"env":"overcooked/tomato-salad","actions":"0"}\n' });
  const dir = t.testdirName;
  t.match(cli(['play', '--replay', join(dir, 'bad.jsonl'), '--json']).err, /bad\.jsonl:2: not a JSON object/);
  t.match(cli(['play', '--replay', join(dir, 'noenv.jsonl')]).err, /noenv\.jsonl:1: missing "env"/);
  t.equal(cli(['play', TS, '--replay', join(dir, 'noenv.jsonl'), '--json']).code, 0, 'the positional env is the default');
  t.match(cli(['play', '--replay', join(dir, 'badactions.jsonl')]).err, /array of integers/);
  t.match(cli(['play', '--replay', join(dir, 'missing.jsonl')]).err, /cannot read replay file/);

  t.throws(() => replayEpisode(TS, [7]), EnvError);
  t.throws(() => parseActions('1,,2'), InvalidArgumentError);
  t.same(parseActions(' 1, 2 ,3'), [1, 2, 3]);
});

t.test('interactive play reads choices from piped stdin', async (t) => {
  const r = cli(['play', TS], 'hello\n9\n0\n2\n4\n0\n1\n3\n');
  t.equal(r.code, 0, r.err);
  t.match(r.out, /You notice a tomato on the table\./);
  t.match(r.out, /  0\) pick up the tomato\n  1\) take the bowl\n/);
  t.match(r.err, /not an action number: "hello"/);
  t.match(r.err, /not an action number: "9"/);
  t.match(r.out, /-> serve the dish: reward 0\.9346866841916989, done true/);
  t.match(r.out, /Episode finished: return 0\.920518092564195, length 28, 6 decisions\./);

  const stopped = cli(['play', TS], '0\n');
  t.match(stopped.out, /Episode stopped: return -0\.00199, length 2, 1 decisions\./);

  const json = cli(['play', TLS, '--json'], '0\n4\n');
  t.same(
    json.lines.map((l) => JSON.parse(l).macroSteps),
    [2, 5],
  );

  const fixed = cli(['play', TS, '--actions', '4']);
  t.match(fixed.out, /-> chop nothing: reward -0\.001, done false \(1 primitive step, return -0\.001\)/);
});
