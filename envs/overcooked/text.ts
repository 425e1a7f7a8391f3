import type { TaskConfig } from './tasks.js';

/**
 * TWOSOME's observation-to-text for Overcooked (spec section 11): the prompt and the action phrases are built from
 * the observation vector alone, so only what is in view is ever mentioned. Phrases are interface strings and match
 * the original exactly; the prompt sentences are our own wording of the same content, in the same order.
 */

const CHOPPED = 3;

interface Seen {
  /** Reported cell of each food, then of the bowl (index `foods.length`); out-of-view items report (0, 0). */
  x: number[];
  y: number[];
  chopped: boolean[];
  agentX: number;
  agentY: number;
}

function read(cfg: TaskConfig, v: readonly number[]): Seen {
  const n = cfg.foods.length;
  const x: number[] = [];
  const y: number[] = [];
  const chopped: boolean[] = [];
  for (let i = 0; i < n; i++) {
    x.push(v[3 * i]);
    y.push(v[3 * i + 1]);
    chopped.push(v[3 * i + 2] === CHOPPED);
  }
  x.push(v[3 * n]);
  y.push(v[3 * n + 1]);
  const agent = 3 * n + 2 + 2 * cfg.boards.length + 2;
  return { x, y, chopped, agentX: v[agent], agentY: v[agent + 1] };
}

/** Indices (foods, then the bowl) of the items reported at (cx, cy), in index order. */
function itemsAt(seen: Seen, cx: number, cy: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < seen.x.length; i++) if (seen.x[i] === cx && seen.y[i] === cy) out.push(i);
  return out;
}

/** English list: "a", "a and b", "a, b and c". */
function listWords(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

const withArticle = (name: string) => (/^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`);

/** The phrase for each macro-action in this observation, index-aligned with `cfg.macros`. */
export function actionPhrases(cfg: TaskConfig, v: readonly number[]): string[] {
  const seen = read(cfg, v);
  const bowl = cfg.foods.length;
  const hand = itemsAt(seen, seen.agentX, seen.agentY);
  const bowlInHand = hand.includes(bowl);
  const rawFoodInHand = hand.length === 1 && !bowlInHand && !seen.chopped[hand[0]] ? hand[0] : -1;
  const boardItems = cfg.boards.map(([bx, by]) => itemsAt(seen, bx, by));
  const filledBowlSeen = hand.length > 1 || boardItems.some((items) => items.length > 1);
  const phrases = [...cfg.phrases];
  cfg.macros.forEach((m, i) => {
    switch (m.kind) {
      case 'getFood':
        if (bowlInHand) phrases[i] = `put the ${cfg.foods[m.food].name} in the bowl`;
        break;
      case 'getBowl':
        if (filledBowlSeen) phrases[i] = 'take the bowl';
        break;
      case 'goToBoard':
        if (bowlInHand) phrases[i] = `put the bowl on the ${cfg.boardNames[m.board]}`;
        else if (rawFoodInHand >= 0) phrases[i] = `put the ${cfg.foods[rawFoodInHand].name} on the ${cfg.boardNames[m.board]}`;
        break;
      case 'deliver':
        if (hand.length > 0) phrases[i] = 'serve the dish';
        break;
      case 'chop':
        cfg.boards.forEach(([bx], b) => {
          const items = boardItems[b];
          // Offered for any single food on the board, chopped or not (quirk Q3).
          if (items.length === 1 && items[0] !== bowl && seen.agentX === bx && seen.agentY === 1) {
            phrases[i] = `chop the ${cfg.foods[items[0]].name}`;
          }
        });
        break;
    }
  });
  return phrases;
}

/** The observation prompt: room, items on their start tables, boards, hands, then the cue the phrases complete. */
export function prompt(cfg: TaskConfig, v: readonly number[]): string {
  const seen = read(cfg, v);
  const bowl = cfg.foods.length;
  const names = [...cfg.foods.map((f) => f.name), 'bowl'];
  const starts = [...cfg.foods.map((f) => f.start), cfg.bowlStart];
  const onlyFood = cfg.foods.length === 1;
  const describe = (items: number[]): string => {
    if (items.length > 1) {
      const foods = items.filter((i) => i !== bowl).map((i) => names[i]);
      return `a bowl containing ${onlyFood ? 'a ' : ''}chopped ${listWords(foods)}`;
    }
    const i = items[0];
    if (i === bowl) return 'a bowl';
    return `${seen.chopped[i] ? 'a chopped' : 'an unchopped'} ${names[i]}`;
  };

  const sentences = [cfg.boards.length === 1 ? 'There is one fixed cutting board in the room.' : 'There are two fixed cutting boards in the room.'];

  const atStart = names.map((_, i) => i).filter((i) => seen.x[i] === starts[i][0] && seen.y[i] === starts[i][1]);
  if (atStart.length > 0) {
    const where = atStart.length === 1 ? 'on the table' : 'on different tables';
    sentences.push(`You notice ${listWords(atStart.map((i) => withArticle(names[i])))} ${where}.`);
  }

  cfg.boards.forEach(([bx, by], b) => {
    const items = itemsAt(seen, bx, by);
    if (items.length > 0) sentences.push(capitalize(`${describe(items)} is on the ${cfg.boardNames[b]}.`));
  });

  const hand = itemsAt(seen, seen.agentX, seen.agentY);
  const board = seen.agentY === 1 ? cfg.boards.findIndex(([bx]) => bx === seen.agentX) : -1;
  if (board >= 0) {
    const front = `Currently you are standing in front of the ${cfg.boardNames[board]}`;
    sentences.push(hand.length === 0 ? `${front} without anything in hand.` : `${front}, carrying ${describe(hand)} in hand.`);
  } else if (hand.length === 0) {
    sentences.push("Currently you don't have anything in hand.");
  } else {
    sentences.push(`Currently you are carrying ${describe(hand)}${hand.length > 1 ? '' : ' in hand'}.`);
  }

  sentences.push(`To serve a dish of ${cfg.dish}, you should first`);
  return sentences.join(' ');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
