/** Options shared by the commands that let a language-model agent play ETO's conversational tasks (explore, eto). */
import type { Argv } from 'yargs';
import type { ChatTaskOptions } from '../../envs/chat-tasks.js';
import { Shop } from '../../envs/webshop/shop.js';
import type { ExploreOptions } from '../training/explore.js';

export interface AgentArgs {
  dataDir?: string;
  maxSteps?: number;
  maxTokens: number;
  temperature: number;
  parallel: number;
  seed: number;
  json: boolean;
}

/** Adds the replies' and episodes' options. */
export function agentOptions(y: Argv): Argv {
  return y
    .option('data-dir', { type: 'string', describe: 'WebShop: the shop folder; household: an ALFWorld data folder (default: generated games)' })
    .option('max-steps', { type: 'number', describe: "replies per episode at most (default: ETO's, 40 household / 10 WebShop)" })
    .option('max-tokens', { type: 'number', default: 128, describe: 'new tokens per reply at most' })
    .option('temperature', { type: 'number', default: 0, describe: "0: greedy replies (ETO's); above 0: sampled" })
    .option('parallel', { type: 'number', default: 8, describe: 'conversations decoded together' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of sampled replies; explore: also which tasks (as rl-ggml experts); eto: also the order of the DPO pairs' })
    .option('json', { type: 'boolean', default: false, describe: 'JSON lines' });
}

export function exploreOptionsOf(argv: AgentArgs): ExploreOptions {
  return { maxTokens: argv.maxTokens, temperature: argv.temperature, parallel: argv.parallel, seed: argv.seed };
}

/** The task options: the shop is opened when WebShop tasks are played. */
export function taskOptionsOf(argv: AgentArgs, webshop: boolean): ChatTaskOptions {
  return { shop: webshop && argv.dataDir ? Shop.open({ dataDir: argv.dataDir }) : undefined, maxSteps: argv.maxSteps };
}

/**
 * Episode progress for people, fed each finished episode's reward: a bar on a terminal, a line every 5 s otherwise
 * (JSON mode prints its own lines).
 */
export function episodePrinter(label: string): (reward: number, done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  let rewards = 0;
  return (reward, done, total) => {
    rewards += reward;
    const line = `${label}: ${done}/${total} episodes, mean reward ${(rewards / done).toFixed(3)}`;
    if (tty) {
      const full = Math.round((done / total) * 24);
      process.stderr.write(`\r\x1b[2K[${'#'.repeat(full)}${'-'.repeat(24 - full)}] ${line}${done === total ? '\n' : ''}`);
    } else if (Date.now() - last > 5000 || done === total) {
      last = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
}
