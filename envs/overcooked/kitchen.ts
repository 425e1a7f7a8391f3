import { GRID, type TaskConfig } from './tasks.js';

/** What the agent's hand or a board holds: nothing, the bowl, or a food (its index in `TaskConfig.foods`). */
export const EMPTY = -1;
export const BOWL = -2;

/** Where a movable item is. Only a correctly delivered bowl (and its foods) is ever `Delivered`. */
export const enum Loc {
  Counter = 0,
  Board = 1,
  Hand = 2,
  InBowl = 3,
  Delivered = 4,
}

/** What happened in a primitive step besides the step penalty (at most one event per step). */
export const enum StepEvent {
  None = 0,
  Subtask = 1,
  CorrectDelivery = 2,
  WrongDelivery = 3,
}

/** Primitive moves: 0 right, 1 down, 2 left, 3 up, 4 stay. */
export const DX = [0, 1, 0, -1, 0] as const;
export const DY = [1, 0, -1, 0, 0] as const;
export const STAY = 4;

export interface FoodState {
  x: number;
  y: number;
  chops: number;
  loc: Loc;
}

export interface KitchenState {
  agentX: number;
  agentY: number;
  hand: number;
  foods: FoodState[];
  bowl: { x: number; y: number; loc: Loc; contents: number[] };
  /** What each cutting board holds. */
  boards: number[];
}

export const CHOPS_NEEDED = 3;
const VIEW_RADIUS = 2;

export const isFloor = (x: number, y: number) => x >= 1 && x < GRID - 1 && y >= 1 && y < GRID - 1;
export const manhattan = (ax: number, ay: number, bx: number, by: number) => Math.abs(ax - bx) + Math.abs(ay - by);

/**
 * The kitchen's item/agent state and its primitive dynamics (spec section 5). Knows nothing about macro-actions,
 * rewards or the clock: `move` reports what happened and the environment turns that into rewards.
 */
export class Kitchen {
  state!: KitchenState;

  constructor(readonly cfg: TaskConfig) {
    this.reset();
  }

  reset(): void {
    const { cfg } = this;
    this.state = {
      agentX: cfg.agentStart[0],
      agentY: cfg.agentStart[1],
      hand: EMPTY,
      foods: cfg.foods.map((f) => ({ x: f.start[0], y: f.start[1], chops: 0, loc: Loc.Counter })),
      bowl: { x: cfg.bowlStart[0], y: cfg.bowlStart[1], loc: Loc.Counter, contents: [] },
      boards: cfg.boards.map(() => EMPTY),
    };
  }

  isChopped(food: number): boolean {
    return this.state.foods[food].chops >= CHOPS_NEEDED;
  }

  /** Cell of a holdable item (food index or BOWL). */
  itemX(item: number): number {
    return item === BOWL ? this.state.bowl.x : this.state.foods[item].x;
  }

  itemY(item: number): number {
    return item === BOWL ? this.state.bowl.y : this.state.foods[item].y;
  }

  boardAt(x: number, y: number): number {
    const { boards } = this.cfg;
    for (let b = 0; b < boards.length; b++) if (boards[b][0] === x && boards[b][1] === y) return b;
    return -1;
  }

  /** Whether (x, y) lies in the agent's 5×5 view. */
  inView(x: number, y: number): boolean {
    const s = this.state;
    return Math.abs(x - s.agentX) <= VIEW_RADIUS && Math.abs(y - s.agentY) <= VIEW_RADIUS;
  }

  /** Runs one primitive action (0 right, 1 down, 2 left, 3 up, 4 stay) and reports its event. */
  move(action: number): StepEvent {
    if (action === STAY) return StepEvent.None;
    const s = this.state;
    const tx = s.agentX + DX[action];
    const ty = s.agentY + DY[action];
    if (isFloor(tx, ty)) {
      s.agentX = tx;
      s.agentY = ty;
      if (s.hand !== EMPTY) this.place(s.hand, tx, ty, Loc.Hand);
      return StepEvent.None;
    }
    return s.hand === EMPTY ? this.interactEmptyHanded(tx, ty) : this.interactCarrying(tx, ty, s.hand);
  }

  private interactEmptyHanded(tx: number, ty: number): StepEvent {
    const s = this.state;
    const b = this.boardAt(tx, ty);
    if (b >= 0) {
      const held = s.boards[b];
      if (held === BOWL || (held !== EMPTY && this.isChopped(held))) {
        s.boards[b] = EMPTY;
        this.pickUp(held);
      } else if (held !== EMPTY) {
        return this.chop(held);
      }
      return StepEvent.None;
    }
    const item = this.counterItemAt(tx, ty);
    if (item !== EMPTY) this.pickUp(item);
    return StepEvent.None;
  }

  private interactCarrying(tx: number, ty: number, carried: number): StepEvent {
    const s = this.state;
    if (tx === this.cfg.delivery[0] && ty === this.cfg.delivery[1]) return this.deliver(carried);
    const b = this.boardAt(tx, ty);
    if (b >= 0) {
      const held = s.boards[b];
      if (held === EMPTY) {
        s.hand = EMPTY;
        s.boards[b] = carried;
        this.place(carried, tx, ty, Loc.Board);
      } else if (held !== BOWL && carried === BOWL) {
        if (this.isChopped(held)) {
          s.boards[b] = EMPTY;
          this.addToBowl(held);
        }
      } else if (held === BOWL && carried !== BOWL) {
        if (this.isChopped(carried)) {
          s.boards[b] = EMPTY;
          this.pickUp(BOWL);
          this.addToBowl(carried);
        }
      }
      return StepEvent.None;
    }
    const item = this.counterItemAt(tx, ty);
    if (item === EMPTY) {
      // A bare counter takes whatever is carried (no macro-action ever walks into one; kept for the primitive rules).
      s.hand = EMPTY;
      this.place(carried, tx, ty, Loc.Counter);
    } else if (item === BOWL && carried !== BOWL) {
      if (this.isChopped(carried)) {
        s.hand = EMPTY;
        this.addToBowl(carried);
      }
    } else if (item !== BOWL && carried === BOWL) {
      if (this.isChopped(item)) this.addToBowl(item);
    }
    return StepEvent.None;
  }

  /** One chop of a raw food on a board; finishing a food named in the task string (a substring test) is a subtask. */
  private chop(food: number): StepEvent {
    const f = this.state.foods[food];
    f.chops++;
    return f.chops >= CHOPS_NEEDED && this.cfg.task.includes(this.cfg.foods[food].name) ? StepEvent.Subtask : StepEvent.None;
  }

  private deliver(carried: number): StepEvent {
    const s = this.state;
    const [dx, dy] = this.cfg.delivery;
    s.hand = EMPTY;
    if (carried === BOWL && s.bowl.contents.length > 0 && this.dishName() === this.cfg.task) {
      this.place(BOWL, dx, dy, Loc.Delivered);
      return StepEvent.CorrectDelivery;
    }
    // A wrong delivery sends what was carried (and anything in the bowl) back to its start, raw again.
    if (carried === BOWL) {
      for (const food of s.bowl.contents) this.refreshFood(food);
      s.bowl.contents = [];
      this.place(BOWL, this.cfg.bowlStart[0], this.cfg.bowlStart[1], Loc.Counter);
    } else {
      this.refreshFood(carried);
    }
    return StepEvent.WrongDelivery;
  }

  /** The bowl's dish: its foods named in the fixed order lettuce, onion, tomato, then " salad". */
  dishName(): string {
    const names = this.state.bowl.contents.map((f) => this.cfg.foods[f].name);
    return ['lettuce', 'onion', 'tomato'].filter((n) => names.includes(n as never)).join('-') + ' salad';
  }

  private refreshFood(food: number): void {
    const f = this.state.foods[food];
    const [x, y] = this.cfg.foods[food].start;
    f.x = x;
    f.y = y;
    f.chops = 0;
    f.loc = Loc.Counter;
  }

  /** The item lying directly on the (non-board, non-delivery) counter at (x, y), or EMPTY. */
  counterItemAt(x: number, y: number): number {
    const s = this.state;
    if (s.bowl.loc === Loc.Counter && s.bowl.x === x && s.bowl.y === y) return BOWL;
    for (let i = 0; i < s.foods.length; i++) {
      const f = s.foods[i];
      if (f.loc === Loc.Counter && f.x === x && f.y === y) return i;
    }
    return EMPTY;
  }

  private pickUp(item: number): void {
    this.state.hand = item;
    this.place(item, this.state.agentX, this.state.agentY, Loc.Hand);
  }

  private addToBowl(food: number): void {
    const { bowl } = this.state;
    bowl.contents.push(food);
    const f = this.state.foods[food];
    f.x = bowl.x;
    f.y = bowl.y;
    f.loc = Loc.InBowl;
  }

  /** Moves an item (the bowl with its contents) to (x, y). */
  private place(item: number, x: number, y: number, loc: Loc): void {
    const s = this.state;
    if (item !== BOWL) {
      const f = s.foods[item];
      f.x = x;
      f.y = y;
      f.loc = loc;
      return;
    }
    s.bowl.x = x;
    s.bowl.y = y;
    s.bowl.loc = loc;
    for (const food of s.bowl.contents) {
      s.foods[food].x = x;
      s.foods[food].y = y;
    }
  }

  /**
   * The observation vector (spec 8.2): per food (x, y, chops), then bowl, boards, delivery and agent (x, y), zeros for
   * anything outside the 5×5 view, then the one-hot task indicator.
   */
  vector(taskCount: number): number[] {
    const s = this.state;
    const out: number[] = [];
    const push = (x: number, y: number, chops?: number) => {
      const seen = this.inView(x, y);
      out.push(seen ? x : 0, seen ? y : 0);
      if (chops !== undefined) out.push(seen ? chops : 0);
    };
    for (const f of s.foods) push(f.x, f.y, f.chops);
    push(s.bowl.x, s.bowl.y);
    for (const [x, y] of this.cfg.boards) push(x, y);
    push(this.cfg.delivery[0], this.cfg.delivery[1]);
    out.push(s.agentX, s.agentY);
    for (let i = 0; i < taskCount; i++) out.push(i === this.cfg.taskIndex ? 1 : 0);
    return out;
  }
}
