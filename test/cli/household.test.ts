import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { generateGame } from '../../envs/household/gen/generator.js';
import { tempDir } from '../helpers/temp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
const dir = tempDir('household-cli-');

t.test('play --game --commands --json replays every command, also after winning', async (t) => {
  const g = generateGame('pick_and_place_simple', 'train', 4);
  const gamePath = join(dir, 'game.tw-pddl');
  writeFileSync(gamePath, JSON.stringify(g.game));
  const cmds = [...g.game.walkthrough!, 'inventory', 'dance'];
  writeFileSync(join(dir, 'cmds.txt'), `${cmds.join('\n')}\n`);
  const r = run(['play', '--game', gamePath, '--commands', join(dir, 'cmds.txt'), '--json']);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.match(out.reset.feedback, /^-= Welcome/);
  t.equal(out.reset.won, false);
  t.same(out.steps.map((s: { command: string }) => s.command), cmds);
  t.equal(out.steps[g.game.walkthrough!.length - 1].won, true);
  t.equal(out.steps[cmds.length - 1].feedback, 'Nothing happens.');
  const text = run(['play', 'household/pick-and-place', '--seed', '4', '--commands', join(dir, 'cmds.txt')]);
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /Admissible commands:\n {2}go to /);
  t.match(text.stdout, /You won!/);
});

t.test('play: interactive session over stdin, and errors', async (t) => {
  const r = spawnSync(process.execPath, [MAIN, 'play', 'household/mixed', '--seed', '1', '--split', 'unseen'], { input: 'look\ninventory\n', encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /You are not carrying anything\./);
  const bad = run(['play', 'household/nope']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /unknown household env/);
  t.match(run(['play', 'household/mixed', '--split', 'dev']).stderr, /unknown split/);
});

t.test('experts writes ETO conversations', async (t) => {
  const out = join(dir, 'traj.json');
  const r = run(['experts', '--env', 'household/mixed', '--split', 'train', '--n', '3', '--out', out, '--json']);
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout).trajectories, 3);
  const data = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(data.length, 3);
  const conv = data[0].conversations;
  t.equal(conv[0].from, 'human');
  t.same(conv[1], { from: 'gpt', value: 'OK' });
  t.match(conv[2].value, /Your task is to: /);
  t.match(conv[3].value, /^Thought: .+\nAction: look$/);
  t.match(conv[4].value, /^Observation: /);
  t.equal(conv[conv.length - 1].from, 'gpt');
  t.match(run(['experts', '--env', 'household/nope', '--out', out]).stderr, /unknown environment/);
});
