import t from 'tap';
import { BOWL, EMPTY, Kitchen, Loc, StepEvent } from '../../../envs/overcooked/kitchen.js';
import { planMove } from '../../../envs/overcooked/macro.js';
import { TOMATO_LETTUCE_SALAD, TOMATO_SALAD } from '../../../envs/overcooked/tasks.js';

const RIGHT = 0;
const DOWN = 1;
const LEFT = 2;
const UP = 3;
const STAY = 4;

/** A TLS kitchen with the agent moved to (x, y), its hand item brought along. */
function at(x: number, y: number, hand = EMPTY): Kitchen {
  const k = new Kitchen(TOMATO_LETTUCE_SALAD);
  const s = k.state;
  s.agentX = x;
  s.agentY = y;
  s.hand = hand;
  if (hand >= 0) Object.assign(s.foods[hand], { x, y, loc: Loc.Hand });
  if (hand === BOWL) Object.assign(s.bowl, { x, y, loc: Loc.Hand });
  return k;
}

t.test('moves on the floor carry the held item; moves into the ring never move the agent (spec 1, 5)', async (t) => {
  const k = at(3, 3, 0);
  t.equal(k.move(DOWN), StepEvent.None);
  t.match(k.state, { agentX: 4, agentY: 3 });
  t.match(k.state.foods[0], { x: 4, y: 3 });
  k.move(STAY);
  t.match(k.state, { agentX: 4, agentY: 3 });
  const wall = at(3, 5);
  wall.move(RIGHT);
  t.match(wall.state, { agentX: 3, agentY: 5, hand: EMPTY });
});

t.test('empty-handed interactions', async (t) => {
  const k = at(1, 5);
  k.move(UP);
  t.equal(k.state.hand, 0, 'picks up the tomato');
  const b = at(1, 1);
  b.state.boards[0] = 1;
  Object.assign(b.state.foods[1], { x: 1, y: 0, loc: Loc.Board });
  t.equal(b.move(LEFT), StepEvent.None);
  t.equal(b.move(LEFT), StepEvent.None);
  t.equal(b.move(LEFT), StepEvent.Subtask, 'third chop of a recipe food');
  t.equal(b.state.foods[1].chops, 3);
  t.equal(b.move(LEFT), StepEvent.None, 'a chopped food is picked up, not chopped again');
  t.equal(b.state.hand, 1);
  t.equal(b.state.boards[0], EMPTY);
  const empty = at(1, 1);
  empty.move(LEFT);
  const d = at(3, 1);
  d.move(LEFT);
  t.same([empty.state.hand, d.state.hand], [EMPTY, EMPTY], 'empty board and delivery: nothing');
});

t.test('carrying interactions', async (t) => {
  const k = at(1, 1, 0);
  k.move(LEFT);
  t.same([k.state.hand, k.state.boards[0], k.state.foods[0].loc], [EMPTY, 0, Loc.Board], 'raw food onto an empty board');

  const bowlOnBoard = at(1, 1, 1);
  bowlOnBoard.state.foods[1].chops = 3;
  bowlOnBoard.state.boards[0] = BOWL;
  Object.assign(bowlOnBoard.state.bowl, { x: 1, y: 0, loc: Loc.Board });
  bowlOnBoard.move(LEFT);
  t.same([bowlOnBoard.state.hand, bowlOnBoard.state.boards[0], bowlOnBoard.state.bowl.contents], [BOWL, EMPTY, [1]], 'chopped food into the bowl on a board, bowl picked up');
  t.match(bowlOnBoard.state.foods[1], { x: 1, y: 1, loc: Loc.InBowl });

  const rawIntoBowl = at(1, 1, 1);
  rawIntoBowl.state.boards[0] = BOWL;
  Object.assign(rawIntoBowl.state.bowl, { x: 1, y: 0, loc: Loc.Board });
  rawIntoBowl.move(LEFT);
  t.same([rawIntoBowl.state.hand, rawIntoBowl.state.boards[0]], [1, BOWL], 'a raw food does not go in');

  const scoop = at(2, 1, BOWL);
  scoop.state.boards[1] = 0;
  Object.assign(scoop.state.foods[0], { x: 2, y: 0, loc: Loc.Board, chops: 3 });
  scoop.move(LEFT);
  t.same([scoop.state.boards[1], scoop.state.bowl.contents], [EMPTY, [0]], 'bowl scoops a chopped food from a board');

  const foodOnFood = at(1, 1, 2);
  foodOnFood.state.boards[0] = 0;
  Object.assign(foodOnFood.state.foods[0], { x: 1, y: 0, loc: Loc.Board });
  foodOnFood.move(LEFT);
  t.same([foodOnFood.state.hand, foodOnFood.state.boards[0]], [2, 0], 'board with a food, carrying a food: nothing');

  const counterBowl = at(5, 5, 0);
  counterBowl.state.foods[0].chops = 3;
  counterBowl.move(DOWN);
  t.same([counterBowl.state.hand, counterBowl.state.bowl.loc, counterBowl.state.bowl.contents], [EMPTY, Loc.Counter, [0]], 'chopped food into the bowl on its counter');

  const rawCounterBowl = at(5, 5, 0);
  rawCounterBowl.move(DOWN);
  t.same([rawCounterBowl.state.hand, rawCounterBowl.state.bowl.contents], [0, []], 'a raw food stays in hand');

  const bowlToFood = at(1, 5, BOWL);
  bowlToFood.move(UP);
  t.same([bowlToFood.state.hand, bowlToFood.state.bowl.contents], [BOWL, []], 'raw food on its counter does not go into the bowl');
  const choppedOnCounter = at(1, 5, BOWL);
  choppedOnCounter.state.foods[0].chops = 3;
  choppedOnCounter.move(UP);
  t.same(choppedOnCounter.state.bowl.contents, [0], 'a chopped food on a counter would go into the carried bowl');

  const foodToFood = at(1, 5, 2);
  foodToFood.move(UP);
  t.same([foodToFood.state.hand, foodToFood.state.foods[0].loc], [2, Loc.Counter], 'food onto a food on its counter: nothing');

  const setDown = at(4, 5, 2);
  setDown.move(RIGHT);
  t.same([setDown.state.hand, setDown.state.foods[2]], [EMPTY, { x: 4, y: 6, chops: 0, loc: Loc.Counter }], 'a bare counter takes the item');
  setDown.move(RIGHT);
  t.equal(setDown.state.hand, 2, 'and gives it back');
});

t.test('deliveries (spec 5, Delivery)', async (t) => {
  const filled = (foods: number[]) => {
    const k = at(3, 1, BOWL);
    for (const f of foods) Object.assign(k.state.foods[f], { x: 3, y: 1, loc: Loc.InBowl, chops: 3 });
    k.state.bowl.contents = foods;
    return k;
  };
  const right = filled([0, 1]);
  t.equal(right.dishName(), 'lettuce-tomato salad');
  t.equal(right.move(LEFT), StepEvent.CorrectDelivery);
  t.match(right.state.bowl, { x: 3, y: 0, loc: Loc.Delivered });
  t.match(right.state.foods[0], { x: 3, y: 0 });
  t.equal(right.state.hand, EMPTY);

  const wrong = filled([2, 1, 0]);
  t.equal(wrong.dishName(), 'lettuce-onion-tomato salad');
  t.equal(wrong.move(LEFT), StepEvent.WrongDelivery);
  t.match(wrong.state.bowl, { x: 6, y: 5, loc: Loc.Counter, contents: [] });
  t.same(
    wrong.state.foods.map((f) => [f.x, f.y, f.chops, f.loc]),
    [
      [0, 5, 0, Loc.Counter],
      [1, 6, 0, Loc.Counter],
      [2, 6, 0, Loc.Counter],
    ],
  );
  t.equal(filled([]).move(LEFT), StepEvent.WrongDelivery, 'empty bowl');
  const food = at(3, 1, 1);
  food.state.foods[1].chops = 3;
  t.equal(food.move(LEFT), StepEvent.WrongDelivery, 'a bare food');
  t.match(food.state.foods[1], { x: 1, y: 6, chops: 0, loc: Loc.Counter });

  const ts = new Kitchen(TOMATO_SALAD);
  Object.assign(ts.state, { agentX: 3, agentY: 1, hand: BOWL });
  Object.assign(ts.state.bowl, { x: 3, y: 1, loc: Loc.Hand, contents: [0] });
  t.equal(ts.move(LEFT), StepEvent.CorrectDelivery, 'tomato salad');
});

t.test('the planner walks the column, then the row, then into the target (spec 6)', async (t) => {
  const targets = [
    [0, 5],
    [1, 6],
    [2, 6],
    [6, 5],
    [1, 0],
    [2, 0],
    [3, 0],
  ];
  for (let x = 1; x <= 5; x++) {
    for (let y = 1; y <= 5; y++) {
      for (const [tx, ty] of targets) {
        let [cx, cy] = [x, y];
        const moves: number[] = [];
        while (Math.abs(tx - cx) + Math.abs(ty - cy) > 1) {
          const m = planMove(cx, cy, tx, ty);
          moves.push(m);
          cx += [0, 1, 0, -1][m];
          cy += [1, 0, -1, 0][m];
          if (moves.length > 20) break;
        }
        const last = planMove(cx, cy, tx, ty);
        const d = Math.abs(tx - x) + Math.abs(ty - y);
        const vertical = moves.filter((m) => m === DOWN || m === UP).length;
        const ok = moves.length === d - 1 && moves.slice(0, vertical).every((m) => m === DOWN || m === UP) && cx + [0, 1, 0, -1][last] === tx && cy + [1, 0, -1, 0][last] === ty;
        if (!ok) t.fail(`from (${x},${y}) to (${tx},${ty}): ${moves} then ${last}`);
      }
    }
  }
  const path: number[] = [];
  let [cx, cy] = [1, 1];
  while (!(cx === 5 && cy === 5)) {
    const m = planMove(cx, cy, 6, 5);
    path.push(m);
    cx += [0, 1, 0, -1][m];
    cy += [1, 0, -1, 0][m];
  }
  t.same([...path, planMove(5, 5, 6, 5)], [DOWN, DOWN, DOWN, DOWN, RIGHT, RIGHT, RIGHT, RIGHT, DOWN], 'spec example: (1,1) to the bowl');
});
