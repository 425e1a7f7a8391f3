import { InvalidArgumentError } from '../../../src/errors.js';
import { runExpert } from '../expert.js';
import { TwPddlGame, type GameFile } from '../game.js';
import { HOUSEHOLD_DOMAIN, householdGrammar } from '../logic.js';
import { TASK_TYPES, transformOf, type TaskSpec, type TaskType } from '../tasks.js';
import { OBJECTS, RECEPTACLES, type ObjectClass, type RoomKind } from './catalog.js';
import { hashString, Rng } from './rng.js';

export type Split = 'train' | 'seen' | 'unseen';
export const SPLITS: readonly Split[] = ['train', 'seen', 'unseen'];

/** Layouts per room kind; the last UNSEEN_LAYOUTS of them only appear in the unseen split. */
const LAYOUTS = 40;
const UNSEEN_LAYOUTS = 8;

/** A generated game: the file plus what the loader would read from `traj_data.json`. */
export interface GeneratedGame {
  game: GameFile;
  task: TaskSpec;
  split: Split;
  seed: number;
  trajData: { task_type: TaskType; pddl_params: Record<string, string | boolean> };
}

interface Receptacle {
  cls: string;
  id: string;
  loc: string;
  openable: boolean;
}

const ROOMS_FOR: Record<TaskType, RoomKind[]> = {
  pick_and_place_simple: ['kitchen', 'livingroom', 'bedroom', 'bathroom'],
  look_at_obj_in_light: ['livingroom', 'bedroom'],
  pick_clean_then_place_in_recep: ['kitchen', 'bathroom'],
  pick_heat_then_place_in_recep: ['kitchen'],
  pick_cool_then_place_in_recep: ['kitchen'],
  pick_two_obj_and_place: ['kitchen', 'livingroom', 'bedroom', 'bathroom'],
};

/** Receptacles every room of a kind has (appliances the tasks need, and a place to put things). */
const CORE: Record<RoomKind, string[]> = {
  kitchen: ['Cabinet', 'CounterTop', 'Fridge', 'Microwave', 'SinkBasin', 'StoveBurner', 'GarbageCan'],
  livingroom: ['Sofa', 'SideTable', 'GarbageCan', 'Shelf'],
  bedroom: ['Bed', 'Desk', 'SideTable', 'Drawer', 'GarbageCan'],
  bathroom: ['SinkBasin', 'CounterTop', 'Toilet', 'Cabinet', 'GarbageCan'],
};

/** Whether an (object, destination) pair is held out for the unseen split. */
export function isUnseenCombo(object: string, parent: string): boolean {
  return hashString(`${object}>${parent}`) % 4 === 0;
}

function mangle(parts: string[]): string {
  return parts
    .join('|')
    .replaceAll('|', '_bar_')
    .replaceAll('-', '_minus_')
    .replaceAll('+', '_plus_')
    .replaceAll('.', '_dot_');
}

function coord(rng: Rng): string {
  const v = (rng.next() * 6 - 3).toFixed(2);
  return (v.startsWith('-') ? '-' : '+') + v.replace('-', '').padStart(5, '0');
}

/** A room layout, fully determined by its kind and index: receptacles, their spots and doors. */
function makeLayout(room: RoomKind, index: number): { receptacles: Receptacle[]; start: string } {
  const rng = new Rng(`layout:${room}:${index}`);
  const used = new Set<string>();
  const location = (): string => {
    for (;;) {
      const id = mangle(['loc', String(rng.int(-8, 12)), String(rng.int(-8, 12)), String(rng.int(0, 3)), String(rng.pick([0, 15, 30, 45, 60, -30]))]);
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  const receptacles: Receptacle[] = [];
  for (const cls of RECEPTACLES) {
    if (!cls.rooms.includes(room)) continue;
    if (!CORE[room].includes(cls.name) && rng.next() < 0.4) continue;
    const n = rng.int(cls.count[0], cls.count[1]);
    for (let i = 0; i < n; i++) {
      const xyz = [coord(rng), coord(rng), coord(rng)];
      const id = cls.name === 'SinkBasin' ? mangle(['Sink', ...xyz, 'SinkBasin']) : cls.name === 'BathtubBasin' ? mangle(['Bathtub', ...xyz, 'BathtubBasin']) : mangle([cls.name, ...xyz]);
      const counter = receptacles.find((r) => r.cls === 'CounterTop');
      // Small appliances sometimes stand on a countertop, sharing its spot (you cannot "go to" one from the other).
      const shared = ['CoffeeMachine', 'Toaster', 'Microwave'].includes(cls.name) && counter && rng.next() < 0.35;
      receptacles.push({ cls: cls.name, id, loc: shared ? counter.loc : location(), openable: cls.openable && !(cls.name === 'Cabinet' && rng.next() < 0.1) });
    }
  }
  return { receptacles, start: location() };
}

const SENTENCES: Record<TaskType, string[]> = {
  pick_and_place_simple: ['put a {obj} in {recep}', 'put some {obj} on {recep}'],
  look_at_obj_in_light: ['look at {obj} under the {toggle}', 'examine the {obj} with the {toggle}'],
  pick_clean_then_place_in_recep: ['put a clean {obj} in {recep}', 'clean some {obj} and put it in {recep}'],
  pick_heat_then_place_in_recep: ['put a hot {obj} in {recep}', 'heat some {obj} and put it in {recep}'],
  pick_cool_then_place_in_recep: ['put a cool {obj} in {recep}', 'cool some {obj} and put it in {recep}'],
  pick_two_obj_and_place: ['put two {obj} in {recep}', 'find two {obj} and put them in {recep}'],
};

const NEEDS: Record<TaskType, ObjectClass['props'][number] | null> = {
  pick_and_place_simple: null,
  look_at_obj_in_light: null,
  pick_clean_then_place_in_recep: 'clean',
  pick_heat_then_place_in_recep: 'heat',
  pick_cool_then_place_in_recep: 'cool',
  pick_two_obj_and_place: null,
};

function goalPddl(task: TaskSpec, obj: string, parent: string): string {
  if (task.type === 'look_at_obj_in_light') {
    return `(exists (?t - object ?l - location ?r - receptacle ?a - agent ?o - object)
  (and (objectType ?t DeskLampType) (toggleable ?t) (isToggled ?t) (receptacleAtLocation ?r ?l) (inReceptacle ?t ?r)
       (atLocation ?a ?l) (objectType ?o ${obj}Type) (holds ?a ?o)))`;
  }
  if (task.type === 'pick_two_obj_and_place') {
    return `(exists (?r - receptacle ?o1 - object ?o2 - object)
  (and (receptacleType ?r ${parent}Type) (objectType ?o1 ${obj}Type) (objectType ?o2 ${obj}Type) (not (= ?o1 ?o2))
       (inReceptacle ?o1 ?r) (inReceptacle ?o2 ?r)))`;
  }
  const t = transformOf(task.type);
  const extra = t ? ` (${{ isclean: 'cleanable', ishot: 'heatable', iscool: 'coolable' }[t.fact]} ?o) (${{ isclean: 'isClean', ishot: 'isHot', iscool: 'isCool' }[t.fact]} ?o)` : '';
  return `(exists (?r - receptacle ?o - object)
  (and (receptacleType ?r ${parent}Type) (objectType ?o ${obj}Type)${extra} (inReceptacle ?o ?r)))`;
}

/** One attempt at a game; null when the drawn layout cannot host the task. */
function attempt(type: TaskType, split: Split, rng: Rng): { problem: string; task: TaskSpec; sentence: string } | null {
  const room = rng.pick(ROOMS_FOR[type]);
  const layoutIndex = split === 'unseen' ? LAYOUTS - UNSEEN_LAYOUTS + rng.int(0, UNSEEN_LAYOUTS - 1) : rng.int(0, LAYOUTS - UNSEEN_LAYOUTS - 1);
  const { receptacles, start } = makeLayout(room, layoutIndex);
  const present = new Set(receptacles.map((r) => r.cls));
  const need = NEEDS[type];
  const candidates = OBJECTS.filter((o) => o.rooms.includes(room) && !o.props.includes('fixed') && (!need || o.props.includes(need)));
  const target = rng.pick(candidates);
  const destinations = target.places.filter((p) => present.has(p) && (type === 'look_at_obj_in_light' || (isUnseenCombo(target.name, p) === (split === 'unseen'))));
  const parent = type === 'look_at_obj_in_light' ? '' : destinations.length ? rng.pick(destinations) : null;
  if (parent === null) return null;
  const sources = target.places.filter((p) => present.has(p) && p !== parent);
  if (sources.length === 0) return null;
  const lampHolders = receptacles.filter((r) => ['SideTable', 'Desk', 'Dresser'].includes(r.cls));
  if (type === 'look_at_obj_in_light' && lampHolders.length === 0) return null;

  const objects: { cls: ObjectClass; id: string; in: Receptacle }[] = [];
  const usedIds = new Set<string>();
  const place = (cls: ObjectClass, within: Receptacle[]): void => {
    let id: string;
    do id = mangle([cls.name, coord(rng), coord(rng), coord(rng)]);
    while (usedIds.has(id));
    usedIds.add(id);
    objects.push({ cls, id, in: rng.pick(within) });
  };
  const allowed = (cls: ObjectClass, exclude: string): Receptacle[] => receptacles.filter((r) => cls.places.includes(r.cls) && r.cls !== exclude);
  const targetCount = type === 'pick_two_obj_and_place' ? rng.int(2, 3) : rng.int(1, 2);
  for (let i = 0; i < targetCount; i++) place(target, allowed(target, parent));
  if (type === 'look_at_obj_in_light') place(OBJECTS.find((o) => o.name === 'DeskLamp')!, lampHolders);
  const others = rng.shuffle(OBJECTS.filter((o) => o.rooms.includes(room) && o !== target && !o.props.includes('fixed')));
  for (const cls of others.slice(0, rng.int(5, 12))) {
    const within = allowed(cls, cls.name === target.name ? parent : '');
    for (let i = rng.int(1, 2); i > 0 && within.length; i--) place(cls, within);
  }

  const otypes = new Set(objects.map((o) => o.cls.name));
  const facts: string[] = [`(atLocation agent1 ${start})`];
  for (const r of receptacles) {
    facts.push(`(receptacleType ${r.id} ${r.cls}Type)`, `(receptacleAtLocation ${r.id} ${r.loc})`);
    if (r.openable) facts.push(`(openable ${r.id})`);
  }
  for (const o of objects) {
    facts.push(`(objectType ${o.id} ${o.cls.name}Type)`, `(inReceptacle ${o.id} ${o.in.id})`, `(objectAtLocation ${o.id} ${o.in.loc})`);
    if (!o.cls.props.includes('fixed')) facts.push(`(pickupable ${o.id})`);
    const flags: Record<string, string> = { clean: 'cleanable', heat: 'heatable', cool: 'coolable', slice: 'sliceable', container: 'isReceptacleObject', toggle: 'toggleable' };
    for (const p of o.cls.props) if (flags[p]) facts.push(`(${flags[p]} ${o.id})`);
  }
  for (const ot of otypes) {
    const cls = OBJECTS.find((o) => o.name === ot)!;
    for (const rt of present) if (cls.places.includes(rt)) facts.push(`(canContain ${rt}Type ${ot}Type)`);
  }
  const task: TaskSpec = { type, object: target.name.toLowerCase(), parent: parent.toLowerCase(), toggle: type === 'look_at_obj_in_light' ? 'desklamp' : '' };
  const locs = new Set([start, ...receptacles.map((r) => r.loc)]);
  const problem = `(define (problem household_${room}_${layoutIndex})
(:domain household)
(:objects
agent1 - agent
${[...locs].join(' ')} - location
${receptacles.map((r) => r.id).join('\n')} - receptacle
${objects.map((o) => o.id).join('\n')} - object
${OBJECTS.map((o) => `${o.name}Type`).join(' ')} - otype
${RECEPTACLES.map((r) => `${r.name}Type`).join(' ')} - rtype
)
(:init
${facts.join('\n')}
)
(:goal ${goalPddl(task, target.name, parent)})
)
`;
  const sentence = rng
    .pick(SENTENCES[type])
    .replace('{obj}', task.object)
    .replace('{recep}', task.parent)
    .replace('{toggle}', task.toggle);
  return { problem, task, sentence };
}

/**
 * Generates the game of (`type`, `split`, `seed`): deterministic, solvable (the expert is run on it and must win),
 * with unseen games drawn from held-out room layouts and held-out (object, destination) pairs.
 */
export function generateGame(type: TaskType, split: Split, seed: number): GeneratedGame {
  if (!TASK_TYPES.includes(type)) throw new InvalidArgumentError('BAD_TASK', `household: unknown task type "${type}"`);
  if (!SPLITS.includes(split)) throw new InvalidArgumentError('BAD_SPLIT', `household: unknown split "${split}" (train|seen|unseen)`);
  const rng = new Rng(`game:${type}:${split}:${seed}`);
  for (let tries = 0; tries < 200; tries++) {
    const drawn = attempt(type, split, rng);
    if (!drawn) continue;
    const game: GameFile = { pddl_domain: HOUSEHOLD_DOMAIN, grammar: householdGrammar(drawn.sentence), pddl_problem: drawn.problem, solvable: false };
    const tw = new TwPddlGame(game);
    if (tw.reset().won) continue;
    const run = runExpert(tw, drawn.task, 60);
    if (!run.won) continue;
    game.solvable = true;
    game.walkthrough = run.steps.map((s) => s.command);
    const t = drawn.task;
    const cap = (s: string): string => s;
    return {
      game,
      task: t,
      split,
      seed,
      trajData: { task_type: type, pddl_params: { object_target: cap(t.object), parent_target: t.parent, toggle_target: t.toggle, mrecep_target: '', object_sliced: false } },
    };
  }
  throw new InvalidArgumentError('GENERATION_FAILED', `household: could not generate a solvable ${type} game for seed ${seed}`);
}
