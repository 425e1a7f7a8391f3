// `--import FILE`: your own environments for every command, from a module that exports them or registers them.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { testModel } from '../helpers/models.js';

const darkRoom = fileURLToPath(new URL('../helpers/dark-room.js', import.meta.url));
const library = pathToFileURL(fileURLToPath(new URL('../../src/index.js', import.meta.url))).href;

const listed = (args: string[]) => {
  const r = runCli([...args, 'env', 'list', '--json']);
  return r.status === 0 ? (JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id) : r.stderr;
};

t.test('a module that exports envs: env list, train, eval and plot know its environment', async (t) => {
  const dir = t.testdir();
  t.notOk(listed([]).includes('mine/dark-room'));
  t.same(listed(['--import', darkRoom]).slice(-1), ['mine/dark-room']);

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
