import { TwPddlGame } from '../../../envs/household/game.js';
import { HOUSEHOLD_DOMAIN, householdGrammar } from '../../../envs/household/logic.js';

/**
 * A hand-made kitchen for the project's own domain. Demangled names (sorted ids, numbered from the top):
 * countertop_bar_1 -> countertop 2, countertop_bar_2 -> countertop 1; cabinet_bar_01 -> cabinet 11 ... cabinet_bar_11 -> cabinet 1;
 * mug_bar_1 -> mug 2 (on coffeemachine 1 AND countertop 1), mug_bar_2 -> mug 1 (in cabinet 1).
 */
export const KITCHEN_PROBLEM = `; hand-made test kitchen
(define (problem kitchen) (:domain household)
(:objects agent1 - agent
 loc_bar_0 loc_bar_1 loc_bar_2 loc_bar_3 loc_bar_4 loc_bar_5 - location
 CounterTop_bar_1 CounterTop_bar_2 CoffeeMachine_bar_1 Fridge_bar_1 Microwave_bar_1 Sink_bar_1_bar_SinkBasin
 Cabinet_bar_01 Cabinet_bar_02 Cabinet_bar_03 Cabinet_bar_04 Cabinet_bar_05 Cabinet_bar_06 Cabinet_bar_07 Cabinet_bar_08 Cabinet_bar_09 Cabinet_bar_10 Cabinet_bar_11 - receptacle
 Mug_bar_1 Mug_bar_2 Apple_bar_1 Knife_bar_1 DeskLamp_bar_1 - object
 MugType AppleType KnifeType DeskLampType - otype
 CounterTopType CoffeeMachineType FridgeType MicrowaveType SinkBasinType CabinetType - rtype)
(:init (atLocation agent1 loc_bar_0)
 (receptacleAtLocation CounterTop_bar_1 loc_bar_1) (receptacleAtLocation CounterTop_bar_2 loc_bar_2)
 (receptacleAtLocation CoffeeMachine_bar_1 loc_bar_2) (receptacleAtLocation Fridge_bar_1 loc_bar_3)
 (receptacleAtLocation Microwave_bar_1 loc_bar_4) (receptacleAtLocation Sink_bar_1_bar_SinkBasin loc_bar_5)
 (receptacleAtLocation Cabinet_bar_01 loc_bar_5) (receptacleAtLocation Cabinet_bar_02 loc_bar_5) (receptacleAtLocation Cabinet_bar_03 loc_bar_5)
 (receptacleAtLocation Cabinet_bar_04 loc_bar_5) (receptacleAtLocation Cabinet_bar_05 loc_bar_5) (receptacleAtLocation Cabinet_bar_06 loc_bar_5)
 (receptacleAtLocation Cabinet_bar_07 loc_bar_5) (receptacleAtLocation Cabinet_bar_08 loc_bar_5) (receptacleAtLocation Cabinet_bar_09 loc_bar_5)
 (receptacleAtLocation Cabinet_bar_10 loc_bar_5) (receptacleAtLocation Cabinet_bar_11 loc_bar_1)
 (receptacleType CounterTop_bar_1 CounterTopType) (receptacleType CounterTop_bar_2 CounterTopType) (receptacleType CoffeeMachine_bar_1 CoffeeMachineType)
 (receptacleType Fridge_bar_1 FridgeType) (receptacleType Microwave_bar_1 MicrowaveType) (receptacleType Sink_bar_1_bar_SinkBasin SinkBasinType)
 (receptacleType Cabinet_bar_11 CabinetType) (openable Cabinet_bar_11) (openable Fridge_bar_1) (openable Microwave_bar_1)
 (objectType Mug_bar_1 MugType) (objectType Mug_bar_2 MugType) (objectType Apple_bar_1 AppleType) (objectType Knife_bar_1 KnifeType) (objectType DeskLamp_bar_1 DeskLampType)
 (pickupable Mug_bar_1) (pickupable Mug_bar_2) (pickupable Apple_bar_1) (pickupable Knife_bar_1)
 (isReceptacleObject Mug_bar_1) (isReceptacleObject Mug_bar_2) (heatable Mug_bar_1) (coolable Mug_bar_1) (cleanable Mug_bar_1)
 (heatable Apple_bar_1) (coolable Apple_bar_1) (cleanable Apple_bar_1) (sliceable Apple_bar_1) (toggleable DeskLamp_bar_1)
 (inReceptacle Mug_bar_1 CounterTop_bar_2) (inReceptacle Mug_bar_1 CoffeeMachine_bar_1) (objectAtLocation Mug_bar_1 loc_bar_2)
 (inReceptacle Mug_bar_2 Cabinet_bar_11) (objectAtLocation Mug_bar_2 loc_bar_1)
 (inReceptacle Apple_bar_1 Fridge_bar_1) (objectAtLocation Apple_bar_1 loc_bar_3)
 (inReceptacle Knife_bar_1 CounterTop_bar_1) (objectAtLocation Knife_bar_1 loc_bar_1)
 (inReceptacle DeskLamp_bar_1 CounterTop_bar_1) (objectAtLocation DeskLamp_bar_1 loc_bar_1)
 (canContain CounterTopType MugType) (canContain CoffeeMachineType MugType) (canContain CounterTopType AppleType)
 (canContain FridgeType AppleType) (canContain MicrowaveType MugType) (canContain CabinetType MugType) (canContain CounterTopType KnifeType))
(:goal (exists (?r - receptacle ?o - object)
  (and (objectType ?o MugType) (receptacleType ?r MicrowaveType) (isHot ?o) (inReceptacle ?o ?r)))))
`;

export function kitchen(problem = KITCHEN_PROBLEM, sentence = 'put a hot mug in microwave'): TwPddlGame {
  return new TwPddlGame({ pddl_domain: HOUSEHOLD_DOMAIN, grammar: householdGrammar(sentence), pddl_problem: problem });
}

/** Plays commands and returns the outcomes. */
export function play(game: TwPddlGame, commands: string[]): ReturnType<TwPddlGame['step']>[] {
  return commands.map((c) => ({ ...game.step(c) }));
}
