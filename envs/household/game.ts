import { EnvError, InvalidArgumentError } from '../../src/errors.js';
import { demangleNames } from './demangle.js';
import { AtomSet } from './pddl/atoms.js';
import { PddlTask, type GroundOp } from './pddl/task.js';
import { Grammar, type Context, type EntityRecord, type GrammarWorld } from './text/csg.js';
import { parseTwl2, type Twl2Action } from './text/twl2.js';

/** The JSON content of a `game.tw-pddl` file. */
export interface GameFile {
  pddl_domain: string;
  grammar: string;
  pddl_problem: string;
  solvable?: boolean;
  walkthrough?: string[] | null;
  [key: string]: unknown;
}

/** What the game reports after a reset or a step. */
export interface GameOutcome {
  feedback: string;
  won: boolean;
  /** Admissible commands, deduplicated and sorted by code point (as TextWorld returns them). */
  admissible: string[];
}

/** TextWorld's reply to a command that matches no admissible command. */
export const NOTHING_HAPPENS = 'Nothing happens.';

/** Python's str.strip() whitespace set. */
const PY_STRIP = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

export function validateGameFile(data: unknown): GameFile {
  const d = data as Partial<GameFile> | null;
  for (const key of ['pddl_domain', 'grammar', 'pddl_problem'] as const) {
    if (!d || typeof d[key] !== 'string') throw new InvalidArgumentError('BAD_GAME', `game file: missing string field "${key}"`);
  }
  return d as GameFile;
}

/**
 * One ALFWorld/TextWorld PDDL game, played as TextWorld's PddlEnv plays it behind ALFWorld's AlfredDemangler: the
 * domain and grammar come from the file; the admissible commands are the expanded templates of the applicable
 * operators; a command is matched exactly (after strip()) against them; the feedback is the action's feedback symbol
 * derived after the operator is applied; `won` is the goal test on the new state.
 */
export class TwPddlGame implements GrammarWorld {
  readonly task: PddlTask;
  readonly data: GameFile;
  state: AtomSet;
  /** TextWorld's fact set: true atoms plus explicit `not_p` atoms written by deletes. */
  facts: AtomSet;
  private readonly grammar: Grammar;
  private readonly actions: Map<string, Twl2Action>;
  private readonly entities = new Map<string, EntityRecord>();
  private valid: { command: string; op: GroundOp }[] = [];
  /** Commands of operators whose template reads no changing fact, by operator name. */
  private readonly commandCache = new Map<string, string>();
  private readonly staticTemplates = new Map<string, boolean>();
  private outcome: GameOutcome = { feedback: '', won: false, admissible: [] };

  constructor(data: GameFile) {
    this.data = validateGameFile(data);
    this.task = new PddlTask(data.pddl_domain, data.pddl_problem);
    const doc = parseTwl2(data.grammar);
    this.actions = doc.actions;
    const ids = new Set(this.task.init.flatMap((atom) => atom.slice(1)));
    for (const [id, name] of demangleNames(ids)) this.entities.set(id, { id, name, type: this.task.declaredType(id) ?? 'object' });
    this.state = this.task.initialState();
    this.facts = this.task.initialState();
    this.grammar = new Grammar(doc.rules, this);
  }

  entity(id: string): EntityRecord {
    let e = this.entities.get(id);
    if (!e) this.entities.set(id, (e = { id, name: id, type: this.task.declaredType(id) ?? 'object' }));
    return e;
  }

  hasType(type: string): boolean {
    return this.task.hasType(type);
  }

  isSubtype(type: string, ancestor: string): boolean {
    return this.task.isSubtype(type, ancestor);
  }

  /** Human name of an entity id. */
  nameOf(id: string): string {
    return this.entity(id).name;
  }

  get won(): boolean {
    return this.outcome.won;
  }

  get admissible(): string[] {
    return this.outcome.admissible;
  }

  get feedback(): string {
    return this.outcome.feedback;
  }

  reset(): GameOutcome {
    this.state = this.task.initialState();
    this.facts = this.task.initialState();
    return this.finish(this.grammar.derive('#intro#', { mapping: new Map(), vars: new Map() }));
  }

  step(command: string): GameOutcome {
    const cmd = command.replace(PY_STRIP, '');
    const chosen = this.valid.find((v) => v.command === cmd);
    if (!chosen) return this.finish(NOTHING_HAPPENS);
    this.task.apply(chosen.op, this.state);
    const ordered = [...chosen.op.effects.filter((e) => e.add), ...chosen.op.effects.filter((e) => !e.add)];
    for (const e of ordered) {
      this.facts.delete(e.add ? 'not_' + e.pred : e.pred, e.args);
      this.facts.add(e.add ? e.pred : 'not_' + e.pred, e.args);
    }
    return this.finish(this.grammar.derive(this.action(chosen.op).feedback, this.context(chosen.op)));
  }

  /** A JSON snapshot of the game's state. */
  save(): { state: string[][]; facts: string[][]; feedback: string } {
    return { state: this.state.list(), facts: this.facts.list(), feedback: this.outcome.feedback };
  }

  load(snapshot: unknown): void {
    const s = snapshot as { state?: string[][]; facts?: string[][]; feedback?: string };
    if (!Array.isArray(s?.state) || !Array.isArray(s.facts)) throw new EnvError('BAD_SNAPSHOT', 'household: not a game snapshot');
    this.state = new AtomSet();
    this.facts = new AtomSet();
    for (const [p, ...args] of s.state) this.state.add(p!, args);
    for (const [p, ...args] of s.facts) this.facts.add(p!, args);
    this.finish(s.feedback ?? '');
  }

  private action(op: GroundOp): Twl2Action {
    const action = this.actions.get(op.schema);
    if (!action) throw new InvalidArgumentError('BAD_GAME', `game file: the grammar has no action "${op.schema}"`);
    return action;
  }

  private command(op: GroundOp): string {
    const cached = this.commandCache.get(op.name);
    if (cached !== undefined) return cached;
    const template = this.action(op).template;
    const command = this.grammar.derive(template, this.context(op));
    let cacheable = this.staticTemplates.get(op.schema);
    if (cacheable === undefined) {
      // A fact that no action changes (and its never-written not_ form) reads the same in every state.
      const isStatic = (pred: string): boolean => !this.task.isFluent(pred.startsWith('not_') ? pred.slice(4) : pred);
      this.staticTemplates.set(op.schema, (cacheable = this.grammar.readsOnly(template, isStatic)));
    }
    if (cacheable) this.commandCache.set(op.name, command);
    return command;
  }

  private context(op: GroundOp): Context {
    const ctx: Context = { mapping: new Map(), vars: new Map() };
    for (const p of op.params) {
      const name = p.name.replace(/^\?+|\?+$/g, '');
      ctx.mapping.set(`${name}:${p.type}`, { id: p.value, type: p.type });
      ctx.vars.set(name, p.value);
    }
    return ctx;
  }

  private finish(feedback: string): GameOutcome {
    this.valid = this.task.applicable(this.state).map((op) => ({ command: this.command(op), op }));
    const admissible = [...new Set(this.valid.map((v) => v.command))].sort();
    this.outcome = { feedback, won: this.task.isGoal(this.state), admissible };
    return this.outcome;
  }
}
