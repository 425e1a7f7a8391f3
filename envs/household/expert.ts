import type { GameOutcome, TwPddlGame } from './game.js';
import { OBJECT_BY_NAME } from './gen/catalog.js';
import { transformOf, type TaskSpec } from './tasks.js';

/** One expert decision: the command and a short templated thought for behaviour-cloning data. */
export interface ExpertStep {
  thought: string;
  command: string;
}

/**
 * An oracle in the spirit of ALFWorld's handcoded expert. It starts with `look`, then each step recomputes where it is
 * in the task's subgoal list (find the object, take it, transform it at the appliance, find the destination or the
 * lamp, put it or turn the lamp on). It only knows the contents of receptacles it has seen (open, or without a door,
 * at its own spot) and searches the others in order of how likely they are to hold the object, opening closed ones.
 */
export class HouseholdExpert {
  private readonly seen = new Map<string, Set<string>>();
  private readonly searched = new Set<string>();
  private started = false;

  constructor(
    private readonly game: TwPddlGame,
    private readonly task: TaskSpec,
  ) {}

  /** The next step from the current game state. */
  next(): ExpertStep {
    this.observe();
    if (!this.started) {
      this.started = true;
      return { thought: `To solve the task, I need to find and take ${this.objectPhrase()}. First I look around.`, command: 'look' };
    }
    const held = this.held();
    if (held && this.classOf(held) !== this.task.object) return this.placeAnywhere(held);
    if (!held) return this.fetch();
    const transform = transformOf(this.task.type);
    if (transform && !this.game.state.has(transform.fact, [held])) {
      const appliance = this.receptaclesOf(transform.appliance)[0];
      if (appliance) {
        // Appliances work closed, so there is no need to open them.
        if (!this.receptaclesHere().includes(appliance)) return this.goTo(appliance, `Now I ${transform.verb} the ${this.name(held)} with the ${this.name(appliance)}.`);
        return this.act(`${transform.verb} ${this.name(held)} with ${this.name(appliance)}`, `I ${transform.verb} the ${this.name(held)} with the ${this.name(appliance)}.`);
      }
    }
    if (this.task.type === 'look_at_obj_in_light') return this.useLamp(held);
    return this.deliver(held);
  }

  private fetch(): ExpertStep {
    const target = this.knownTargets()[0];
    if (target) {
      const go = this.reach(target.receptacle, `I found ${this.article(target.obj)}. Next, I take it.`);
      if (go) return go;
      return this.act(`take ${this.name(target.obj)} from ${this.name(target.receptacle)}`, `Now I find ${this.article(target.obj)}. Next, I take it.`);
    }
    return this.search(this.task.object, `I need to find ${this.objectPhrase()}.`);
  }

  private deliver(held: string): ExpertStep {
    const dest = this.destination();
    if (!dest) return this.act('look', 'I look around.');
    const go = this.reach(dest, `Now I put the ${this.name(held)} in/on the ${this.name(dest)}.`);
    if (go) return go;
    const put = this.game.admissible.find((c) => c.startsWith(`put ${this.name(held)} `) && c.endsWith(` ${this.name(dest)}`))
      ?? this.game.admissible.find((c) => c === `move ${this.name(held)} to ${this.name(dest)}`);
    return this.act(put ?? `put ${this.name(held)} in/on ${this.name(dest)}`, `Now I put the ${this.name(held)} in/on the ${this.name(dest)}.`);
  }

  private useLamp(held: string): ExpertStep {
    const lamp = this.knownOfClass(this.task.toggle)[0];
    if (!lamp) return this.search(this.task.toggle, `Now I have the ${this.name(held)}. Next, I need to find a ${this.task.toggle}.`);
    const go = this.reach(lamp.receptacle, `I found the ${this.name(lamp.obj)}. Next, I turn it on.`);
    if (go) return go;
    return this.act(`use ${this.name(lamp.obj)}`, `Now I use the ${this.name(lamp.obj)} to look at the ${this.name(held)}.`);
  }

  private placeAnywhere(held: string): ExpertStep {
    const put = this.game.admissible.find((c) => c.startsWith(`put ${this.name(held)} `) || c.startsWith(`move ${this.name(held)} `));
    if (put) return this.act(put, `This is not what I need, so I put the ${this.name(held)} back.`);
    const here = this.receptaclesHere();
    const other = [...this.allReceptacles()].find((r) => !here.includes(r));
    return other ? this.goTo(other, `I need a place to put the ${this.name(held)}.`) : this.act('look', 'I look around.');
  }

  /** Visits the next receptacle in prior order, opening it if closed. */
  private search(cls: string, why: string): ExpertStep {
    const order = this.searchOrder(cls);
    const here = this.receptaclesHere();
    for (const r of order) {
      if (this.searched.has(r)) continue;
      if (here.includes(r)) return this.act(`open ${this.name(r)}`, `${why} The ${this.name(r)} is closed, so I open it.`);
      return this.goTo(r, `${why} I check the ${this.name(r)}.`);
    }
    this.searched.clear();
    return this.act('look', `${why} I look around again.`);
  }

  /** A step towards facing `r` with its inside visible, or null when already there. */
  private reach(r: string, why: string): ExpertStep | null {
    if (!this.receptaclesHere().includes(r)) return this.goTo(r, why);
    if (this.isClosed(r)) return this.act(`open ${this.name(r)}`, `The ${this.name(r)} is closed, so I open it.`);
    return null;
  }

  private goTo(r: string, thought: string): ExpertStep {
    return this.act(`go to ${this.name(r)}`, thought);
  }

  private act(command: string, thought: string): ExpertStep {
    return { thought, command: this.game.admissible.includes(command) ? command : 'look' };
  }

  /** Learns the contents of the visible receptacles at the agent's spot. */
  private observe(): void {
    for (const r of this.receptaclesHere()) {
      if (this.isClosed(r)) continue;
      this.searched.add(r);
      this.seen.set(r, new Set([...this.game.state.match('inreceptacle', [undefined, r])].map((a) => a[0]!)));
    }
  }

  private knownTargets(): { obj: string; receptacle: string }[] {
    const parents = new Set(this.task.parent ? this.receptaclesOf(this.task.parent) : []);
    return this.knownOfClass(this.task.object).filter((t) => !(this.task.type === 'pick_two_obj_and_place' && parents.has(t.receptacle)));
  }

  private knownOfClass(cls: string): { obj: string; receptacle: string }[] {
    const out: { obj: string; receptacle: string }[] = [];
    for (const [r, objs] of [...this.seen].sort((a, b) => this.name(a[0]).localeCompare(this.name(b[0])))) {
      for (const o of objs) {
        if (this.classOf(o) === cls && this.game.state.has('inreceptacle', [o, r]) && (cls !== this.task.object || this.game.state.has('pickupable', [o]))) {
          out.push({ obj: o, receptacle: r });
        }
      }
    }
    return out;
  }

  private destination(): string | undefined {
    const all = this.receptaclesOf(this.task.parent);
    const here = this.receptaclesHere();
    return all.find((r) => here.includes(r)) ?? all[0];
  }

  private searchOrder(cls: string): string[] {
    const prior = OBJECT_BY_NAME.get(cls)?.places.map((p) => p.toLowerCase()) ?? [];
    const rank = (r: string): number => {
      const i = prior.indexOf(this.classOf(r));
      return i < 0 ? prior.length : i;
    };
    return [...this.allReceptacles()].sort((a, b) => rank(a) - rank(b) || compareNames(this.name(a), this.name(b)));
  }

  private agent(): string {
    return [...this.game.state.match('atlocation', [undefined, undefined])][0]![0]!;
  }

  private location(): string {
    return [...this.game.state.match('atlocation', [this.agent(), undefined])][0]![1]!;
  }

  private held(): string | undefined {
    return [...this.game.state.match('holds', [this.agent(), undefined])][0]?.[1];
  }

  private receptaclesHere(): string[] {
    return [...this.game.state.match('receptacleatlocation', [undefined, this.location()])].map((a) => a[0]!);
  }

  private allReceptacles(): string[] {
    return [...this.game.state.match('receptacleatlocation', [undefined, undefined])].map((a) => a[0]!);
  }

  private receptaclesOf(cls: string): string[] {
    return this.allReceptacles()
      .filter((r) => this.classOf(r) === cls)
      .sort((a, b) => compareNames(this.name(a), this.name(b)));
  }

  private isClosed(r: string): boolean {
    return this.game.state.has('openable', [r]) && !this.game.state.has('opened', [r]);
  }

  /** Lowercase ALFRED class of an object or receptacle, from its type fact. */
  private classOf(id: string): string {
    const t = [...this.game.state.match('objecttype', [id, undefined])][0] ?? [...this.game.state.match('receptacletype', [id, undefined])][0];
    return t ? t[1]!.replace(/type$/, '') : '';
  }

  private name(id: string): string {
    return this.game.nameOf(id);
  }

  private article(id: string): string {
    return `a ${this.name(id)}`;
  }

  private objectPhrase(): string {
    return this.task.type === 'pick_two_obj_and_place' ? `two ${this.task.object}` : `a ${this.task.object}`;
  }
}

/** Natural order of "class N" names (cabinet 2 before cabinet 10). */
function compareNames(a: string, b: string): number {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs the expert from a fresh reset until the game is won or `maxSteps` commands were played. */
export function runExpert(game: TwPddlGame, task: TaskSpec, maxSteps = 150): { reset: GameOutcome; steps: (ExpertStep & GameOutcome)[]; won: boolean } {
  const reset = game.reset();
  const expert = new HouseholdExpert(game, task);
  const steps: (ExpertStep & GameOutcome)[] = [];
  while (!game.won && steps.length < maxSteps) {
    const s = expert.next();
    steps.push({ ...s, ...game.step(s.command) });
  }
  return { reset, steps, won: game.won };
}
