import { BOWL, CHOPS_NEEDED, DX, DY, EMPTY, Kitchen, STAY, manhattan } from './kitchen.js';
import type { Macro } from './tasks.js';

/**
 * Next primitive move from the agent toward ring cell (tx, ty) (spec section 6): walk along the column to the target's
 * access row, then along that row, then step into the target. On this open single-agent floor the original's A*
 * always answers exactly this (checked against a transcription of it for every floor cell and target).
 */
export function planMove(ax: number, ay: number, tx: number, ty: number): number {
  const rx = Math.min(Math.max(tx, 1), 5);
  const ry = Math.min(Math.max(ty, 1), 5);
  if (ax !== rx) return rx > ax ? 1 : 3;
  if (ay !== ry) return ry > ay ? 0 : 2;
  if (tx !== ax) return tx > ax ? 1 : 3;
  return ty > ay ? 0 : 2;
}

/**
 * The macro-action controller (spec section 7): turns the current macro-action into primitive moves and decides when
 * it ends. Targets are read from true positions: with one agent the original's remembered positions always equal them
 * (spec 8.3), and the multi-agent end conditions (collisions, deadlock breakers, targets moving out of sight) can never
 * fire, so they are left out.
 */
export class MacroController {
  /** Chops issued by the running chop macro; persists across macro-actions, cleared on reset or on reaching 3. */
  chopCounter = 0;
  /** The last DECIDE's answer: the primitive action, and whether the macro ends after it. */
  action = STAY;
  ends = false;

  constructor(private readonly kitchen: Kitchen) {}

  reset(): void {
    this.chopCounter = 0;
  }

  /** The ring cell a non-chop macro-action heads for, on the current state. */
  private target(m: Exclude<Macro, { kind: 'chop' }>): [number, number] {
    const k = this.kitchen;
    switch (m.kind) {
      case 'getFood':
        return [k.itemX(m.food), k.itemY(m.food)];
      case 'getBowl':
        return [k.itemX(BOWL), k.itemY(BOWL)];
      case 'goToBoard':
        return k.cfg.boards[m.board] as [number, number];
      case 'deliver':
        return k.cfg.delivery as [number, number];
    }
  }

  /** DECIDE (spec 7.1), on the state before the step: sets `action` and `ends`. */
  decide(m: Macro): void {
    this.ends = false;
    this.action = STAY;
    if (m.kind === 'chop') this.decideChop();
    else this.decideMove(m);
  }

  private decideChop(): void {
    const k = this.kitchen;
    const s = k.state;
    for (let dir = 0; dir < 4; dir++) {
      const b = k.boardAt(s.agentX + DX[dir], s.agentY + DY[dir]);
      if (b < 0) continue;
      const held = s.boards[b];
      if (held === EMPTY || held === BOWL || s.foods[held].chops >= CHOPS_NEEDED) continue;
      this.action = dir;
      this.chopCounter++;
      if (this.chopCounter >= CHOPS_NEEDED) {
        this.ends = true;
        this.chopCounter = 0;
      }
      return;
    }
    this.ends = true;
  }

  private decideMove(m: Exclude<Macro, { kind: 'chop' }>): void {
    const k = this.kitchen;
    const s = k.state;
    const [tx, ty] = this.target(m);
    // Fetching a food that sits in the bowl: stop as soon as the bowl's cell is in view.
    if (m.kind === 'getFood' && k.inView(tx, ty) && s.bowl.x === tx && s.bowl.y === ty) {
      this.ends = true;
      return;
    }
    // The target is carried.
    if (tx === s.agentX && ty === s.agentY) {
      this.ends = true;
      return;
    }
    this.action = planMove(s.agentX, s.agentY, tx, ty);
    if (manhattan(s.agentX, s.agentY, tx, ty) !== 1) return;
    this.ends = true;
    if (m.kind === 'getBowl' && s.hand !== EMPTY) {
      // A chopped food goes into the bowl and the macro continues (to pick the bowl up); a raw one cannot.
      if (k.isChopped(s.hand)) this.ends = false;
      else this.action = STAY;
    } else if (m.kind === 'goToBoard' && s.hand === EMPTY) {
      this.action = STAY;
    } else if (m.kind === 'getFood') {
      const b = k.boardAt(tx, ty);
      if (b >= 0) {
        const held = s.boards[b];
        if (held !== EMPTY && held !== BOWL && !k.isChopped(held)) this.action = STAY;
      }
    }
  }

  /** ARRIVED (spec 7.2), on the state after the step: whether a macro that DECIDE let continue ends now. */
  arrived(m: Macro): boolean {
    if (m.kind === 'chop' || m.kind === 'getBowl') return false;
    const k = this.kitchen;
    const s = k.state;
    const [tx, ty] = this.target(m);
    if (manhattan(s.agentX, s.agentY, tx, ty) !== 1) return false;
    if (m.kind === 'getFood') return k.boardAt(tx, ty) >= 0 && !k.isChopped(m.food);
    return s.hand === EMPTY;
  }
}
