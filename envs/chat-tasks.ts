/**
 * ETO's tasks as conversations: which household game or WebShop goal a trajectory id names, and the tasks of a
 * split in the order `rl-ggml experts` visits them, so that exploration replays exactly the experts' tasks.
 *
 * Ids: `household/<task type>/<split>/<seed>` (a generated game), a `game.tw-pddl` path (a game of an ALFWorld data
 * folder), `webshop_<goal index>` (needs the shop the goals come from).
 */
import { InvalidArgumentError } from '../src/errors.js';
import type { ChatEnv } from './core/chat.js';
import { mixedTaskType } from './household/env.js';
import { TwPddlGame, type GameFile } from './household/game.js';
import { generateGame, SPLITS, type Split } from './household/gen/generator.js';
import { listGames, readGameFile } from './household/loader.js';
import { TASK_IDS, TASK_TYPES, type TaskSpec, type TaskType } from './household/tasks.js';
import { EtoHousehold } from './household/wrapper.js';
import { EtoWebShop } from './webshop/eto.js';
import { splitIndices } from './webshop/goals.js';
import { PyRandom } from './webshop/pyrandom.js';
import { WebShopSession } from './webshop/session.js';
import type { Shop } from './webshop/shop.js';

export interface ChatTask {
  id: string;
  /** A fresh environment playing this task (call its `reset()` to start). */
  open(): ChatEnv;
}

/** A household game with the id ETO data gives it and, when known, the task it poses (the expert needs it). */
export interface HouseholdGame {
  id: string;
  game: GameFile;
  task: TaskSpec | null;
}

const GENERATED = /^household\/([a-z_]+)\/(train|seen|unseen)\/(\d+)$/;
const WEBSHOP = /^webshop_(\d+)$/;

/** `household/<suffix>` of an env id: a task-type suffix or `mixed`. */
function householdSuffix(env: string): string {
  const suffix = env.startsWith('household/') ? env.slice('household/'.length) : '';
  if (suffix !== 'mixed' && !(suffix in TASK_IDS)) throw new InvalidArgumentError('UNKNOWN_ENV', `unknown environment "${env}" (household/<task>, household/mixed or webshop; your own tasks: a trajectory file of their ids)`);
  return suffix;
}

/**
 * The games of a household env's split, in order: generated games with seeds seed, seed+1, ... (endless), or the
 * games of an ALFWorld data folder's split (`dataDir`), filtered by task type unless the env is `household/mixed`.
 */
export function* householdGames(env: string, split: string, seed: number, dataDir?: string): Generator<HouseholdGame> {
  const suffix = householdSuffix(env);
  if (!SPLITS.includes(split as Split)) throw new InvalidArgumentError('BAD_SPLIT', `household: unknown split "${split}" (train|seen|unseen)`);
  if (dataDir !== undefined) {
    for (const entry of listGames(dataDir, split)) {
      if (suffix !== 'mixed' && entry.taskType !== TASK_IDS[suffix]) continue;
      yield { id: entry.path, ...readGameFile(entry.path) };
    }
    return;
  }
  for (let s = seed; ; s++) {
    const type = suffix === 'mixed' ? mixedTaskType(split as Split, s) : TASK_IDS[suffix]!;
    const g = generateGame(type, split as Split, s);
    yield { id: `household/${type}/${split}/${s}`, game: g.game, task: g.task };
  }
}

/** The goal indices of a WebShop split in experts' order: split order, or shuffled by `seed` when it is not 0. */
export function webshopGoals(shop: Shop, split: string, seed: number): number[] {
  const indices = [...new Set(splitIndices(split, shop.goals.length, shop.dataDir))];
  if (seed) new PyRandom(seed).shuffle(indices);
  return indices;
}

function householdTask(id: string, game: GameFile, maxSteps?: number): ChatTask {
  return { id, open: () => new EtoHousehold(new TwPddlGame(game), maxSteps) };
}

function webshopTask(shop: Shop, goal: number, maxSteps?: number): ChatTask {
  return {
    id: `webshop_${goal}`,
    open: () => {
      const env = new EtoWebShop(new WebShopSession(shop), maxSteps);
      return { reset: () => env.reset(goal), step: (reply) => env.step(reply) };
    },
  };
}

export interface ChatTaskOptions {
  /** The shop of `webshop_<n>` tasks. */
  shop?: Shop;
  /** Replies per episode at most (default: ETO's limit, 40 for household, 10 for WebShop). */
  maxSteps?: number;
}

/** Whether a trajectory id names a WebShop goal (whose tasks need the shop). */
export function isWebshopTask(id: string): boolean {
  return WEBSHOP.test(id);
}

/** The task a trajectory id names (see the module comment). */
export function chatTaskById(id: string, options: ChatTaskOptions = {}): ChatTask {
  const generated = GENERATED.exec(id);
  if (generated) {
    const [, type, split, seed] = generated;
    if (!TASK_TYPES.includes(type as TaskType)) throw new InvalidArgumentError('UNKNOWN_TASK', `trajectory "${id}": unknown household task type "${type}"`);
    return householdTask(id, generateGame(type as TaskType, split as Split, Number(seed)).game, options.maxSteps);
  }
  const webshop = WEBSHOP.exec(id);
  if (webshop) {
    const goal = Number(webshop[1]);
    if (!options.shop) throw new InvalidArgumentError('NO_DATA_DIR', `trajectory "${id}" is a WebShop goal: give the shop's --data-dir`);
    if (goal >= options.shop.goals.length) throw new InvalidArgumentError('UNKNOWN_TASK', `trajectory "${id}": the shop has ${options.shop.goals.length} goals`);
    return webshopTask(options.shop, goal, options.maxSteps);
  }
  if (id.endsWith('.tw-pddl')) return householdTask(id, readGameFile(id).game, options.maxSteps);
  throw new InvalidArgumentError(
    'UNKNOWN_TASK',
    `cannot tell which task trajectory "${id}" is: ids are household/<type>/<split>/<seed>, a game.tw-pddl path or webshop_<goal> (as rl-ggml experts writes them)`,
  );
}

/** The first `n` tasks of an env's split, in the order `rl-ggml experts` visits them. */
export function chatTasks(env: string, split: string, n: number, options: ChatTaskOptions & { seed?: number; dataDir?: string } = {}): ChatTask[] {
  const seed = options.seed ?? 0;
  if (env === 'webshop') {
    if (!options.shop) throw new InvalidArgumentError('NO_DATA_DIR', 'webshop: give the shop\'s --data-dir');
    const shop = options.shop;
    return webshopGoals(shop, split, seed)
      .slice(0, n)
      .map((goal) => webshopTask(shop, goal, options.maxSteps));
  }
  const out: ChatTask[] = [];
  if (n <= 0) return out;
  for (const g of householdGames(env, split, seed, options.dataDir)) {
    out.push(householdTask(g.id, g.game, options.maxSteps));
    if (out.length >= n) break;
  }
  return out;
}
