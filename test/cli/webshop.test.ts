import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMakeShop } from '../../src/cli/commands/make-shop.js';
import { runShopBuild, runShopSearch } from '../../src/cli/commands/shop.js';
import { webshopExperts } from '../../src/cli/experts/webshop.js';
import { playWebshop } from '../../src/cli/play/webshop.js';
import { tempDir } from '../helpers/temp.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs `fn`, returning what it printed with console.log. */
async function captured(fn: () => unknown): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

const dir = tempDir('ws-cli-');
const data = join(dir, 'shop');

t.test('make-shop writes the three WebShop files', async (t) => {
  const out = JSON.parse(await captured(() => runMakeShop({ out: data, products: 300, seed: 4, json: true })));
  t.ok(out.families > 0);
  for (const f of ['items_shuffle.json', 'items_ins_v2.json', 'items_human_ins.json', 'nouns.json']) t.ok(readFileSync(join(data, f)).length > 0, f);
  t.throws(() => runMakeShop({ out: data, products: 0, seed: 1, json: false }), { code: 'BAD_PRODUCTS' });
});

t.test('shop build and shop search', async (t) => {
  const build = JSON.parse(await captured(() => runShopBuild({ dataDir: data, json: true })));
  t.equal(build.products, 300);
  t.match(await captured(() => runShopBuild({ dataDir: data, json: false })), /^300 products, \d+ goals/);
  const res = JSON.parse(await captured(() => runShopSearch({ dataDir: data, query: 'Water Bottle', k: 50, json: true })));
  t.ok(res.hits.length > 0 && res.hits.length <= 50);
  t.ok(res.hits.every((h: { score: number }, i: number) => i === 0 || h.score <= res.hits[i - 1].score), 'best first');
  const text = await captured(() => runShopSearch({ dataDir: data, query: 'water bottle', k: 3, json: false }));
  t.equal(text.split('\n').length, 3);
});

t.test('play webshop --commands --json, through the CLI', async (t) => {
  const cmds = join(dir, 'cmds.txt');
  writeFileSync(cmds, 'search[water bottle]\nclick[not-there]\n\nclick[next >]\nclick[buy now]\n');
  const r = spawnSync(process.execPath, [main, 'play', 'webshop', '--data-dir', data, '--goal', '0', '--commands', cmds, '--json'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.match(out.reset.observation, /^WebShop \[SEP\] Instruction:/);
  t.equal(out.reset.goal, 0);
  t.same(out.steps.map((s: { command: string }) => s.command), ['search[water bottle]', 'click[not-there]', 'click[next >]', 'click[buy now]']);
  t.equal(out.steps[1].observation, out.steps[0].observation, 'an unknown click changes nothing');
  t.match(out.steps[2].observation, 'Page 2');
  t.same([out.steps[3].reward, out.steps[3].done], [0, false], 'no Buy Now on a results page');
  const live = spawnSync(process.execPath, [main, 'play', 'webshop', '--data-dir', data, '--goal', '1'], { encoding: 'utf8', input: 'search[water bottle]\nquit\n' });
  t.equal(live.status, 0, live.stderr);
  t.match(live.stdout, /^WebShop \[SEP\] Instruction:/);
  t.match(live.stdout, 'actions: search[...], click[back to search], click[next >]');
  const plain = await captured(() => playWebshop({ json: false, dataDir: data, goal: 0, commands: cmds }));
  t.match(plain, '> click[next >]');
  await t.rejects(playWebshop({ json: false }), { code: 'NO_DATA_DIR' });
});

t.test('experts --env webshop writes ETO conversations with reward 1', async (t) => {
  const out = join(dir, 'traj.json');
  const summary = JSON.parse(await captured(() => webshopExperts({ env: 'webshop', split: 'all', n: 5, out, seed: 3, dataDir: data, json: true })));
  t.ok(summary.written > 0 && summary.written <= 5);
  const trajs = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(trajs.length, summary.written);
  for (const tr of trajs) {
    t.match(tr.id, /^webshop_\d+$/);
    t.equal(tr.reward, 1);
    t.same(tr.conversations[1], { from: 'gpt', value: 'OK' });
  }
  const r = spawnSync(process.execPath, [main, 'experts', '--env', 'webshop', '--data-dir', data, '--split', 'all', '--n', '2', '--out', out], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /wrote \d+ trajectories/);
  await t.rejects(webshopExperts({ env: 'webshop', split: 'all', n: 1, out, seed: 0, json: false }), { code: 'NO_DATA_DIR' });
  await t.rejects(webshopExperts({ env: 'webshop', split: 'all', n: -1, out, seed: 0, dataDir: data, json: false }), { code: 'BAD_N' });
});
