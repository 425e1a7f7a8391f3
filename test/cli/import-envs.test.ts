// `--import FILE`: your own environments for every command, from a module that exports them or registers them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { doorExperts } from '../helpers/doors.js';
import { testModel } from '../helpers/models.js';

const darkRoom = fileURLToPath(new URL('../helpers/dark-room.js', import.meta.url));
const doors = fileURLToPath(new URL('../helpers/doors.js', import.meta.url));
const library = pathToFileURL(fileURLToPath(new URL('../../src/index.js', import.meta.url))).href;

const listed = (args: string[]) => {
  const r = runCli([...args, 'env', 'list', '--json']);
  return r.status === 0 ? (JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id) : r.stderr;
};

t.test('a module that exports envs: env list, play, train, eval and plot know its environment', async (t) => {
  const dir = t.testdir();
  t.notOk(listed([]).includes('mine/dark-room'));
  t.same(listed(['--import', darkRoom]).slice(-1), ['mine/dark-room']);
  const played = runCli(['play', '--import', darkRoom, 'mine/dark-room', '--actions', '1,0', '--json']);
  t.equal(played.status, 0, played.stderr);
  t.match(JSON.parse(played.stdout.trim().split('\n').at(-1)!), { step: 1, done: true, return: 1 });

  const run = join(dir, 'run');
  const args = ['--env', 'mine/dark-room', '--algo', 'twosome', '--model', await testModel(), '--out', run, '--envs', '2', '--rollout-steps', '8'];
  const settings = ['--value-minibatch', '8', '--policy-minibatch', '4', '--grad-accum-steps', '2', '--value-hidden', '16'];
  const trained = runCli(['train', '--import', darkRoom, ...args, ...settings, '--actor-lr', '0.01', '--critic-lr', '0.01', '--gamma', '0.9', '--steps', '16', '--json']);
  t.equal(trained.status, 0, trained.stderr);
  t.match(JSON.parse(trained.stdout.trim().split('\n').pop()!), { type: 'result', stopped: false, decisions: 16 });

  const bare = runCli(['eval', '--run', run, '--episodes', '2', '--json']);
  t.equal(bare.status, 1);
  t.match(bare.stderr, /unknown environment "mine\/dark-room".*the CLI from a module with --import/);
  const e = runCli(['eval', '--import', darkRoom, '--run', run, '--episodes', '2', '--json']);
  t.equal(e.status, 0, e.stderr);
  t.match(JSON.parse(e.stdout), { env: 'mine/dark-room', episodes: 2 });
  const p = runCli(['plot', run, '--import', darkRoom, '--out', join(dir, 'c.svg')]);
  t.equal(p.status, 0, p.stderr);
  t.ok(existsSync(join(dir, 'c.svg')));
});

t.test('a module that calls registerEnv itself; modules that add nothing or do not load are errors', async (t) => {
  const dir = t.testdir();
  const own = join(dir, 'own.mjs');
  writeFileSync(own, `import { registerEnv } from '${library}';\nimport { darkRoom } from '${pathToFileURL(darkRoom).href}';\nregisterEnv({ ...darkRoom, id: 'mine/own' });\n`);
  t.ok(listed(['--import', own]).includes('mine/own'));
  t.same(listed(['--import', own, '--import', darkRoom]).slice(-2), ['mine/own', 'mine/dark-room'], 'repeatable');

  const nothing = join(dir, 'nothing.mjs');
  writeFileSync(nothing, 'export const answer = 42;\n');
  t.match(listed(['--import', nothing]), /^rl-ggml: --import .*nothing\.mjs: the module added no environment \(export "envs"/);
  const notArray = join(dir, 'not-array.mjs');
  writeFileSync(notArray, 'export const envs = {};\n');
  t.match(listed(['--import', notArray]), /its export "envs" must be an array/);
  const badSpec = join(dir, 'bad-spec.mjs');
  writeFileSync(badSpec, "export const envs = [{ id: 'mine/x', horizon: 4, actionCount: 2 }];\n");
  t.match(listed(['--import', badSpec]), /registerEnv: "mine\/x" has no create function/);
  t.match(listed(['--import', join(dir, 'missing.js')]), /--import .*missing\.js: cannot load it: Cannot find module/);
  t.match(listed(['--import', darkRoom, '--import', darkRoom]), /already known/);
});

t.test('a module that exports taskOf: explore --tasks and eto play its conversational tasks', async (t) => {
  const dir = t.testdir();
  const model = await testModel();
  const data = join(dir, 'experts.json');
  writeFileSync(data, JSON.stringify(doorExperts));
  const sft = join(dir, 'sft');
  t.equal(runCli(['sft', '--model', model, '--data', data, '--out', sft, '--steps', '2', '--batch', '3']).status, 0, 'behaviour cloning needs no task');

  const exploreArgs = ['explore', '--model', model, '--adapter', join(sft, 'adapter.gguf'), '--tasks', data, '--max-tokens', '8', '--json'];
  const bare = runCli(exploreArgs);
  t.equal(bare.status, 1);
  t.match(bare.stderr, /cannot tell which task trajectory "doors\/red" is/);
  const played = runCli(['--import', doors, ...exploreArgs]);
  t.equal(played.status, 0, played.stderr);
  const lines = played.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.match(lines.at(-1), { type: 'result', episodes: 3 });

  const out = join(dir, 'eto');
  const run = runCli(['eto', '--import', doors, '--model', model, '--start', sft, '--data', data, '--out', out, '--iterations', '1', '--max-tokens', '8', '--batch', '3', '--epochs', '1', '--json']);
  t.equal(run.status, 0, run.stderr);
  t.match(JSON.parse(run.stdout.trim().split('\n').at(-1)!), { type: 'result', stopped: false, adapter: join(out, 'iter-1', 'adapter.gguf') });
  const explored = JSON.parse(readFileSync(join(out, 'iter-1.explored.json'), 'utf8')) as { id: string }[];
  t.same(explored.map((x) => x.id), ['doors/red', 'doors/blue', 'doors/green']);

  const badTask = join(dir, 'bad-task.mjs');
  writeFileSync(badTask, 'export const taskOf = () => ({ id: "x" });\n');
  t.match(runCli(['--import', badTask, ...exploreArgs]).stderr, /taskOf\("doors\/red"\) gave no task/);
  const notFunction = join(dir, 'not-function.mjs');
  writeFileSync(notFunction, 'export const taskOf = 3;\n');
  t.match(runCli(['--import', notFunction, ...exploreArgs]).stderr, /its export "taskOf" must be a function/);
});
