import t from 'tap';
import { BOWL, EMPTY, Loc, type KitchenState } from '../../../envs/overcooked/kitchen.js';
import { TOMATO_LETTUCE_SALAD, TOMATO_SALAD, type TaskConfig } from '../../../envs/overcooked/tasks.js';
import { TLS, TS, enumerate, macroReturn } from './helpers.js';

/**
 * Exhaustive checks over every reachable decision state and every (state, action) transition (spec 14.2), each
 * against an oracle written from the spec's tables rather than from the implementation.
 */

const inView = (k: KitchenState, x: number, y: number) => Math.abs(x - k.agentX) <= 2 && Math.abs(y - k.agentY) <= 2;
const dist = (k: KitchenState, [x, y]: readonly number[]) => Math.abs(x - k.agentX) + Math.abs(y - k.agentY);
const chopped = (k: KitchenState, f: number) => k.foods[f].chops >= 3;
const recipe = (cfg: TaskConfig) => cfg.foods.map((f) => f.name).filter((n) => cfg.task.includes(n));

/** Primitive steps a get-food macro takes when the food is in the bowl out of view (spec 7.3): moves until in view, plus a stay. */
function walkUntilBowlInView(k: KitchenState): number {
  let [x, y] = [k.agentX, k.agentY];
  const { x: tx, y: ty } = k.bowl;
  const [rx, ry] = [Math.min(Math.max(tx, 1), 5), Math.min(Math.max(ty, 1), 5)];
  let moves = 0;
  while (!(Math.abs(tx - x) <= 2 && Math.abs(ty - y) <= 2)) {
    if (x !== rx) x += Math.sign(rx - x);
    else y += Math.sign(ry - y);
    moves++;
  }
  return moves + 1;
}

/** Duration of macro `index` from state k: the table of spec 7.3. */
function expectedSteps(cfg: TaskConfig, k: KitchenState, index: number): number {
  const m = cfg.macros[index];
  const walkEmpty = (d: number) => (d >= 2 ? d - 1 : 1);
  switch (m.kind) {
    case 'getFood': {
      const f = k.foods[m.food];
      if (f.loc === Loc.InBowl) return inView(k, k.bowl.x, k.bowl.y) ? 1 : walkUntilBowlInView(k);
      if (f.loc === Loc.Hand) return 1;
      const d = dist(k, [f.x, f.y]);
      return f.loc === Loc.Board && !chopped(k, m.food) ? walkEmpty(d) : d;
    }
    case 'getBowl': {
      if (k.hand === BOWL) return 1;
      const d = dist(k, [k.bowl.x, k.bowl.y]);
      return k.hand !== EMPTY && chopped(k, k.hand) ? d + 1 : d;
    }
    case 'goToBoard':
      return k.hand === EMPTY ? walkEmpty(dist(k, cfg.boards[m.board])) : dist(k, cfg.boards[m.board]);
    case 'deliver':
      return k.hand === EMPTY ? walkEmpty(dist(k, cfg.delivery)) : dist(k, cfg.delivery);
    case 'chop':
      return rawFoodOnBoardInFront(cfg, k) >= 0 ? 3 : 1;
  }
}

/** The raw food on the board whose access cell the agent stands on, or -1. */
function rawFoodOnBoardInFront(cfg: TaskConfig, k: KitchenState): number {
  const b = cfg.boards.findIndex(([bx]) => k.agentX === bx && k.agentY === 1);
  const held = b >= 0 ? k.boards[b] : EMPTY;
  return held >= 0 && !chopped(k, held) ? held : -1;
}

/** The bonus of a macro's last step: deliveries (right or wrong) and finishing a recipe food by chopping. */
function expectedBonus(cfg: TaskConfig, k: KitchenState, index: number): number {
  const m = cfg.macros[index];
  if (m.kind === 'deliver' && k.hand !== EMPTY) {
    const names = k.bowl.contents.map((f) => cfg.foods[f].name).sort();
    const right = k.hand === BOWL && names.join() === [...recipe(cfg)].sort().join();
    return right ? 1 : -0.1;
  }
  if (m.kind === 'chop' && k.hand === EMPTY) {
    const food = rawFoodOnBoardInFront(cfg, k);
    if (food >= 0 && recipe(cfg).includes(cfg.foods[food].name)) return 0.2;
  }
  return 0;
}

function expectedVector(cfg: TaskConfig, k: KitchenState): number[] {
  const v: number[] = [];
  const item = (x: number, y: number, ...extra: number[]) => v.push(...(inView(k, x, y) ? [x, y, ...extra] : [0, 0, ...extra.map(() => 0)]));
  k.foods.forEach((f) => item(f.x, f.y, f.chops));
  item(k.bowl.x, k.bowl.y);
  cfg.boards.forEach(([x, y]) => item(x, y));
  item(...(cfg.delivery as [number, number]));
  v.push(k.agentX, k.agentY);
  for (let i = 0; i < 7; i++) v.push(i === cfg.taskIndex ? 1 : 0);
  return v;
}

/** Action phrases from the state's meaning (spec 11.1/11.2). */
function expectedPhrases(cfg: TaskConfig, k: KitchenState): string[] {
  const filledBowlSeen = k.bowl.contents.length > 0 && (k.hand === BOWL || (k.bowl.loc === Loc.Board && inView(k, k.bowl.x, k.bowl.y)));
  return cfg.macros.map((m, i) => {
    switch (m.kind) {
      case 'getFood':
        return k.hand === BOWL ? `put the ${cfg.foods[m.food].name} in the bowl` : cfg.phrases[i];
      case 'getBowl':
        return filledBowlSeen ? 'take the bowl' : cfg.phrases[i];
      case 'goToBoard':
        if (k.hand === BOWL) return `put the bowl on the ${cfg.boardNames[m.board]}`;
        if (k.hand >= 0 && !chopped(k, k.hand)) return `put the ${cfg.foods[k.hand].name} on the ${cfg.boardNames[m.board]}`;
        return cfg.phrases[i];
      case 'deliver':
        return k.hand === EMPTY ? 'serve nothing' : 'serve the dish';
      case 'chop': {
        const b = cfg.boards.findIndex(([bx]) => k.agentX === bx && k.agentY === 1);
        return b >= 0 && k.boards[b] >= 0 ? `chop the ${cfg.foods[k.boards[b]].name}` : 'chop nothing';
      }
    }
  });
}

/** The items the prompt's notice sentence must name: those on their start table and in view, in index order. */
function expectedNotice(cfg: TaskConfig, k: KitchenState): string[] {
  const out: string[] = [];
  k.foods.forEach((f, i) => {
    const [x, y] = cfg.foods[i].start;
    if (f.x === x && f.y === y && inView(k, x, y)) out.push(cfg.foods[i].name);
  });
  if (k.bowl.x === cfg.bowlStart[0] && k.bowl.y === cfg.bowlStart[1] && inView(k, k.bowl.x, k.bowl.y)) out.push('bowl');
  return out;
}

const cases: [string, TaskConfig, number, number][] = [
  [TS, TOMATO_SALAD, 24, 120],
  [TLS, TOMATO_LETTUCE_SALAD, 1156, 9248],
];

for (const [id, cfg, stateCount, transitionCount] of cases) {
  t.test(`${id}: every reachable transition follows the spec`, async (t) => {
    const { states, transitions } = enumerate(id);
    t.equal(states.length, stateCount, 'decision states');
    t.equal(transitions.length, transitionCount, 'transitions');
    const agentCells = new Set(states.map((s) => `${s.kitchen.agentX},${s.kitchen.agentY}`));
    const expectedCells = id === TS ? ['1,1', '1,4', '1,5', '3,1', '5,5'] : ['1,1', '1,4', '1,5', '3,1', '5,5', '1,2', '2,1', '2,2', '2,5'];
    t.same([...agentCells].sort(), expectedCells.sort(), 'agent cells at decisions (spec Q8)');

    let bad = 0;
    for (const { from, action, result, to } of transitions) {
      const k = from.kitchen;
      const n = expectedSteps(cfg, k, action);
      const bonus = expectedBonus(cfg, k, action);
      const where = `state ${JSON.stringify(k)} action ${action}`;
      const ok =
        result.info.macroSteps === n &&
        Object.is(result.reward, macroReturn(n, bonus)) &&
        result.done === (bonus === 1) &&
        result.info.length === n &&
        to.chopCounter === 0;
      if (!ok) {
        bad++;
        if (bad <= 5) t.fail(`${where}: got steps ${result.info.macroSteps} reward ${result.reward} done ${result.done}; want ${n}, bonus ${bonus}`);
      }
      if (result.done) t.equal(result.info.success, true, where);
    }
    t.equal(bad, 0, 'durations, macro rewards and done flags');

    let badObs = 0;
    for (const { result, to } of transitions) {
      const k = to.kitchen;
      const obs = result.observation;
      const notice = /You notice (.*?) on (?:the table|different tables)\./.exec(obs.prompt);
      const noticed = notice ? notice[1].split(/, | and /).map((w) => w.replace(/^an? /, '')) : [];
      const ok =
        JSON.stringify(obs.vector) === JSON.stringify(expectedVector(cfg, k)) &&
        JSON.stringify(obs.actions) === JSON.stringify(expectedPhrases(cfg, k)) &&
        JSON.stringify(obs.valid) === JSON.stringify(cfg.macros.map((_, i) => i)) &&
        JSON.stringify(noticed) === JSON.stringify(expectedNotice(cfg, k)) &&
        obs.prompt.endsWith('you should first');
      if (!ok) {
        badObs++;
        if (badObs <= 5) t.fail(`after ${JSON.stringify(k)}: vector ${obs.vector} actions ${obs.actions} prompt ${obs.prompt}`);
      }
    }
    t.equal(badObs, 0, 'observation vectors, phrases and prompts');
  });
}
