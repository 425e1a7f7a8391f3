import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runExpert } from '../../../envs/household/expert.js';
import { NOTHING_HAPPENS, TwPddlGame } from '../../../envs/household/game.js';
import { generateGame, isUnseenCombo, SPLITS } from '../../../envs/household/gen/generator.js';
import { listGames, readGameFile } from '../../../envs/household/loader.js';
import { TASK_TYPES, taskFromTrajData } from '../../../envs/household/tasks.js';
import { tempDir } from '../../helpers/temp.js';

t.test('generation is deterministic per (type, split, seed) and differs across seeds', async (t) => {
  const a = generateGame('pick_heat_then_place_in_recep', 'train', 5);
  const b = generateGame('pick_heat_then_place_in_recep', 'train', 5);
  t.same(a, b);
  t.not(generateGame('pick_heat_then_place_in_recep', 'train', 6).game.pddl_problem, a.game.pddl_problem);
  t.throws(() => generateGame('nope' as never, 'train', 0), /unknown task type/);
  t.throws(() => generateGame('pick_and_place_simple', 'dev' as never, 0), /unknown split/);
});

t.test("every generated game is solvable and the expert's run wins, starting with look", async (t) => {
  for (const type of TASK_TYPES) {
    for (const split of SPLITS) {
      for (let seed = 0; seed < 3; seed++) {
        const g = generateGame(type, split, seed);
        t.equal(g.game.solvable, true);
        const game = new TwPddlGame(g.game);
        const run = runExpert(game, g.task);
        if (!run.won) t.fail(`${type}/${split}/${seed} not won`);
        t.equal(run.steps[0]!.command, 'look');
        if (run.steps.some((s) => s.feedback === NOTHING_HAPPENS)) t.fail(`${type}/${split}/${seed}: expert played an invalid command`);
        t.same(run.steps.map((s) => s.command), g.game.walkthrough);
        t.equal(run.steps.findIndex((s) => s.won), run.steps.length - 1, 'won exactly at the last command');
      }
    }
  }
});

t.test('unseen games use held-out (object, destination) pairs; train games never do', async (t) => {
  for (let seed = 0; seed < 6; seed++) {
    const u = generateGame('pick_and_place_simple', 'unseen', seed).task;
    t.ok(isUnseenCombo(cap(u.object), cap(u.parent)), `unseen ${u.object}>${u.parent}`);
    const tr = generateGame('pick_two_obj_and_place', 'train', seed).task;
    t.notOk(isUnseenCombo(cap(tr.object), cap(tr.parent)), `train ${tr.object}>${tr.parent}`);
  }
});

/** Catalog spelling of a lowercase class (the combos are hashed on catalog names). */
function cap(lower: string): string {
  const known = ['CounterTop', 'DiningTable', 'SinkBasin', 'GarbageCan', 'CoffeeMachine', 'StoveBurner', 'SideTable', 'CoffeeTable', 'TVStand', 'ArmChair', 'BathtubBasin', 'TowelHolder', 'HandTowelHolder', 'ToiletPaperHanger', 'LaundryHamper', 'ButterKnife', 'SaltShaker', 'PepperShaker', 'DishSponge', 'WineBottle', 'CellPhone', 'CreditCard', 'KeyChain', 'RemoteControl', 'AlarmClock', 'SoapBar', 'SoapBottle', 'SprayBottle', 'ToiletPaper', 'HandTowel', 'ScrubBrush', 'TissueBox', 'DeskLamp'];
  return known.find((k) => k.toLowerCase() === lower) ?? lower.charAt(0).toUpperCase() + lower.slice(1);
}

t.test('non-admissible strings always answer "Nothing happens." and leave the game as it was', async (t) => {
  const g = new TwPddlGame(generateGame('pick_clean_then_place_in_recep', 'seen', 1).game);
  let o = g.reset();
  for (let i = 0; i < 30; i++) {
    const before = JSON.stringify(g.save().state);
    const bogus = g.step(`${o.admissible[i % o.admissible.length]} 0`);
    t.equal(bogus.feedback, NOTHING_HAPPENS);
    t.equal(JSON.stringify(g.save().state), before);
    o = g.step(o.admissible[(i * 7) % o.admissible.length]!);
  }
});

t.test('loader: ALFWorld folder layout, skipping unsolvable, movable/Sliced and unknown task types', async (t) => {
  const root = tempDir('household-');
  const write = (dir: string, solvable: boolean, type: string): void => {
    const full = join(root, 'json_2.1.1', dir);
    mkdirSync(full, { recursive: true });
    const g = generateGame('pick_and_place_simple', 'train', 0);
    writeFileSync(join(full, 'game.tw-pddl'), JSON.stringify({ ...g.game, solvable }));
    writeFileSync(join(full, 'initial_state.pddl'), g.game.pddl_problem);
    writeFileSync(join(full, 'traj_data.json'), JSON.stringify({ ...g.trajData, task_type: type }));
  };
  write('train/pick_and_place_simple-Mug-None-Shelf-1/trial_1', true, 'pick_and_place_simple');
  write('train/pick_and_place_simple-Mug-None-Shelf-1/trial_2', false, 'pick_and_place_simple');
  write('train/pick_heat_then_place_in_recep-AppleSliced-None-Fridge-2/trial_1', true, 'pick_heat_then_place_in_recep');
  write('train/pick_and_place_simple-Mug-None-Shelf-movable-3/trial_1', true, 'pick_and_place_simple');
  write('train/other-Mug-None-Shelf-3/trial_1', true, 'pick_and_place_with_movable_recep');
  write('valid_unseen/look_at_obj_in_light-Mug-None-DeskLamp-4/trial_1', true, 'look_at_obj_in_light');
  const train = listGames(root, 'train');
  t.equal(train.length, 1);
  t.match(train[0]!.path, /trial_1[/\\]game\.tw-pddl$/);
  t.same(listGames(join(root, 'json_2.1.1'), 'unseen').map((e) => e.taskType), ['look_at_obj_in_light']);
  t.throws(() => listGames(root, 'seen'), /no ALFWorld split folder/);
  t.throws(() => listGames(root, 'dev'), /unknown split/);
  const { game, task } = readGameFile(train[0]!.path);
  t.same(task, taskFromTrajData(generateGame('pick_and_place_simple', 'train', 0).trajData));
  t.ok(runExpert(new TwPddlGame(game), task!).won, 'generator -> loader round trip plays and wins');
  t.throws(() => readGameFile(join(root, 'missing.tw-pddl')), /cannot read game file/);
});
