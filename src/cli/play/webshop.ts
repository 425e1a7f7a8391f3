import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError } from '../../errors.js';
import { WebShopSession } from '../../../envs/webshop/session.js';
import { Shop } from '../../../envs/webshop/shop.js';
import type { PlayArgs } from './args.js';

/**
 * `rl-ggml play webshop --data-dir DIR [--goal I]`: the text environment in a terminal, or with `--commands FILE`
 * a scripted run (`--json`: `{reset: {observation, goal, instruction}, steps: [{command, observation, reward, done}]}`).
 */
export async function playWebshop(argv: PlayArgs): Promise<void> {
  if (!argv.dataDir) throw new InvalidArgumentError('NO_DATA_DIR', 'play webshop: --data-dir is required');
  const shop = Shop.open({ dataDir: argv.dataDir });
  const session = new WebShopSession(shop);
  const goal = argv.goal ?? 0;
  const reset = { observation: session.reset(goal), goal, instruction: session.goal.instruction_text };
  if (argv.commands) {
    const commands = readFileSync(argv.commands, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const steps: { command: string; observation: string; reward: number; done: boolean }[] = [];
    for (const command of commands) {
      if (session.done) break;
      const r = session.step(command);
      steps.push({ command, observation: r.observation, reward: r.reward, done: r.done });
    }
    if (argv.json) console.log(JSON.stringify({ reset, steps }));
    else {
      console.log(reset.observation);
      for (const s of steps) console.log(`\n> ${s.command}\n${s.observation}${s.done ? `\n[done, reward ${s.reward}]` : ''}`);
    }
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    console.log(reset.observation);
    while (!session.done) {
      const keys = [...session.clickables().keys()];
      console.log(`\nactions: search[...]${keys.length ? ', ' + keys.map((k) => `click[${k}]`).join(', ') : ''}`);
      const line = (await rl.question('> ')).trim();
      if (line === 'quit' || line === 'exit') break;
      const r = session.step(line);
      console.log(r.observation);
      if (r.done) console.log(`[done, reward ${r.reward}]`);
    }
  } finally {
    rl.close();
  }
}
