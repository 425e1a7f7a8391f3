/**
 * Food Preparation's text side, TWOSOME's policy `obs2text` (spec virtualhome.md §4, §6, §8): the action phrases,
 * and the offered actions and the prompt as pure functions of the feature vector, under a variant's object names.
 */
import { FoodFeature } from './food-rules.js';
import { Room, bit, capitalize, roomOf, roomSentence } from './model.js';

const BASE_ACTIONS = [
  'walk to the living room',
  'walk to the kitchen',
  'walk to the bathroom',
  'walk to the bedroom',
  'walk to the pancake',
  'walk to the microwave',
  'grab the pancake',
  'put the pancake in the microwave',
  'open the microwave',
  'close the microwave',
];

/** How a variant names its two objects, in its action phrases and prompt. */
export interface FoodNaming {
  /** Replaces "pancake". */
  item: string;
  /** The item with an indefinite article or quantifier ("a pancake", "some cheese"). */
  someItem: string;
  /** Whether the item takes plural verbs ("the dishes are"). */
  plural: boolean;
  /** Replaces "microwave". */
  appliance: string;
  someAppliance: string;
  /** What the goal asks to do with the item in the appliance. */
  goalVerb: string;
}

export const PANCAKE: FoodNaming = {
  item: 'pancake',
  someItem: 'a pancake',
  plural: false,
  appliance: 'microwave',
  someAppliance: 'a microwave',
  goalVerb: 'heat up',
};

/** The action phrases with every "pancake" and "microwave" renamed. */
export const actionPhrases = (n: FoodNaming): string[] =>
  BASE_ACTIONS.map((p) => p.replaceAll('pancake', n.item).replaceAll('microwave', n.appliance));

/** The indices TWOSOME's policy offers for these features (§4.1), ascending. Some are no-ops, as in the original. */
export function offered(f: number): number[] {
  if (bit(f, Room.Bathroom)) return [0, 1, 3];
  if (bit(f, Room.Bedroom)) return [0, 1, 2];
  if (bit(f, Room.LivingRoom)) return [1, 2, 3];
  if (!bit(f, FoodFeature.SeePancake)) return [0, 2, 3];
  const nearMicrowave = bit(f, FoodFeature.CloseToMicrowave);
  if (bit(f, FoodFeature.HoldPancake)) return nearMicrowave ? [0, 2, 3, 4, 7, 8, 9] : [0, 2, 3, 4, 5];
  const nearPancake = bit(f, FoodFeature.CloseToPancake);
  if (nearPancake && nearMicrowave) return bit(f, FoodFeature.MicrowaveOpen) ? [0, 2, 3, 8, 9] : [0, 2, 3, 9];
  if (nearPancake) return [0, 2, 3, 5, 6];
  if (nearMicrowave) return [0, 2, 3, 4, 8, 9];
  return [0, 2, 3, 4, 5];
}

/** The prompt (§6): room, what is seen, hands and proximity, the microwave door, then the goal. */
export function makePrompt(n: FoodNaming): (f: number) => string {
  const item = `the ${n.item}`;
  const appliance = `the ${n.appliance}`;
  const itemIs = n.plural ? 'are' : 'is';
  const grabbed = `You have grabbed ${item}.`;
  const emptyHanded = 'You are not grabbing anything.';
  const goal = `To ${n.goalVerb} ${item} in ${appliance}, your next step is to`;
  return (f) => {
    const parts = [roomSentence(roomOf(f))];
    const hold = bit(f, FoodFeature.HoldPancake);
    if (!bit(f, Room.Kitchen)) {
      parts.push('You notice nothing useful.', hold ? grabbed : emptyHanded);
    } else {
      const see = bit(f, FoodFeature.SeePancake);
      parts.push(see ? `You notice ${n.someItem} and ${n.someAppliance}.` : `${capitalize(item)} ${itemIs} in ${appliance}.`);
      const nearItem = bit(f, FoodFeature.CloseToPancake);
      const nearAppliance = bit(f, FoodFeature.CloseToMicrowave);
      if (hold) {
        parts.push(grabbed, `${capitalize(appliance)} is ${nearAppliance ? '' : 'not '}close to you.`);
      } else if (nearItem && !nearAppliance) {
        parts.push(emptyHanded, `${capitalize(item)} ${itemIs} close to you.`);
      } else if (nearAppliance && !nearItem) {
        parts.push(emptyHanded, `${capitalize(appliance)} is close to you.`);
      } else if (!nearItem && !nearAppliance) {
        parts.push(emptyHanded, `${capitalize(item)} and ${appliance} are not close to you.`);
      }
      const door = !see ? 'closed' : bit(f, FoodFeature.MicrowaveOpen) ? 'open' : 'not open';
      parts.push(`${capitalize(appliance)} is ${door}.`);
    }
    parts.push(goal);
    return parts.join(' ');
  };
}
