/**
 * The PDDL domain and the twl2 text grammar that rl-ggml's generated household games embed. Written for this project:
 * the predicates and command words follow ALFWorld's (so the same engine, expert and agents work on both), and the
 * behaviour follows the rules the ALFWorld engine exhibits — only a held object can be examined, the appliances work
 * closed, a receptacle at the agent's own spot cannot be gone to, a lamp turns on every time it is used.
 */
export const HOUSEHOLD_DOMAIN = `; rl-ggml household domain (typed STRIPS with disjunctive preconditions).
(define (domain household)
  (:requirements :adl :typing :action-costs)
  (:types agent location receptacle object rtype otype)
  (:predicates
    (atLocation ?a - agent ?l - location)
    (receptacleAtLocation ?r - receptacle ?l - location)
    (objectAtLocation ?o - object ?l - location)
    (inReceptacle ?o - object ?r - receptacle)
    (openable ?r - receptacle) (opened ?r - receptacle)
    (receptacleType ?r - receptacle ?t - rtype) (objectType ?o - object ?t - otype)
    (canContain ?rt - rtype ?ot - otype)
    (holds ?a - agent ?o - object) (holdsAny ?a - agent)
    (pickupable ?o - object) (isReceptacleObject ?o - object)
    (cleanable ?o - object) (isClean ?o - object)
    (heatable ?o - object) (isHot ?o - object)
    (coolable ?o - object) (isCool ?o - object)
    (toggleable ?o - object) (isOn ?o - object) (isToggled ?o - object)
    (sliceable ?o - object) (isSliced ?o - object)
    (checked ?x - object))
  (:functions (total-cost) - number)

  ; Observing: these change nothing but a bookkeeping flag, which keeps them as operators.
  (:action look
    :parameters (?a - agent ?l - location)
    :precondition (atLocation ?a ?l)
    :effect (checked ?l))
  (:action inventory
    :parameters (?a - agent)
    :precondition ()
    :effect (checked ?a))
  (:action examineReceptacle
    :parameters (?a - agent ?r - receptacle)
    :precondition (exists (?l - location) (and (atLocation ?a ?l) (receptacleAtLocation ?r ?l)))
    :effect (checked ?r))
  (:action examineObject
    :parameters (?a - agent ?o - object)
    :precondition (holds ?a ?o)
    :effect (checked ?o))

  ; Moving to a receptacle; one at the agent's own spot would change nothing, so it is not offered.
  (:action GotoLocation
    :parameters (?a - agent ?lStart - location ?lEnd - location ?r - receptacle)
    :precondition (and (atLocation ?a ?lStart) (receptacleAtLocation ?r ?lEnd))
    :effect (and (not (atLocation ?a ?lStart)) (atLocation ?a ?lEnd) (increase (total-cost) 1)))

  (:action OpenObject
    :parameters (?a - agent ?l - location ?r - receptacle)
    :precondition (and (openable ?r) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (not (opened ?r)))
    :effect (and (opened ?r) (checked ?r)))
  (:action CloseObject
    :parameters (?a - agent ?l - location ?r - receptacle)
    :precondition (and (openable ?r) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (opened ?r))
    :effect (not (opened ?r)))

  (:action PickupObject
    :parameters (?a - agent ?l - location ?o - object ?r - receptacle)
    :precondition (and (pickupable ?o) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (inReceptacle ?o ?r)
                       (not (holdsAny ?a)) (or (not (openable ?r)) (opened ?r)))
    :effect (and (not (inReceptacle ?o ?r)) (not (objectAtLocation ?o ?l)) (holds ?a ?o) (holdsAny ?a)))
  (:action PutObject
    :parameters (?a - agent ?l - location ?o - object ?r - receptacle ?ot - otype ?rt - rtype)
    :precondition (and (holds ?a ?o) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (or (not (openable ?r)) (opened ?r))
                       (objectType ?o ?ot) (receptacleType ?r ?rt) (canContain ?rt ?ot))
    :effect (and (inReceptacle ?o ?r) (objectAtLocation ?o ?l) (not (holds ?a ?o)) (not (holdsAny ?a))))

  ; Appliances act on the held object; they need not be open.
  (:action CleanObject
    :parameters (?a - agent ?l - location ?r - receptacle ?o - object)
    :precondition (and (cleanable ?o) (receptacleType ?r SinkBasinType) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (holds ?a ?o))
    :effect (isClean ?o))
  (:action HeatObject
    :parameters (?a - agent ?l - location ?r - receptacle ?o - object)
    :precondition (and (heatable ?o) (receptacleType ?r MicrowaveType) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (holds ?a ?o))
    :effect (and (isHot ?o) (not (isCool ?o))))
  (:action CoolObject
    :parameters (?a - agent ?l - location ?r - receptacle ?o - object)
    :precondition (and (coolable ?o) (receptacleType ?r FridgeType) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (holds ?a ?o))
    :effect (and (isCool ?o) (not (isHot ?o))))

  (:action ToggleObject
    :parameters (?a - agent ?l - location ?o - object ?r - receptacle)
    :precondition (and (toggleable ?o) (atLocation ?a ?l) (receptacleAtLocation ?r ?l) (inReceptacle ?o ?r))
    :effect (and (isOn ?o) (isToggled ?o)))

  (:action SliceObject
    :parameters (?a - agent ?l - location ?co - object ?ko - object)
    :precondition (and (sliceable ?co) (or (objectType ?ko KnifeType) (objectType ?ko ButterKnifeType))
                       (atLocation ?a ?l) (objectAtLocation ?co ?l) (holds ?a ?ko))
    :effect (isSliced ?co)))
`;

/** Shared text rules: what a receptacle shows, what a room looks like, lists. */
const GLOBAL_RULES = {
  intro: [{ rhs: '-= Welcome to the household! =-\n\n#look.feedback#\n\n#task#' }],
  showReceptacle: [
    {
      condition: 'openable(r:receptacle) & opened(r:receptacle)',
      rhs: "The {r.name} is open. In it, you see [{o.indefinite + ' ' + o.name | inreceptacle(o:object, r:receptacle)}].",
    },
    { condition: 'openable(r:receptacle)', rhs: 'The {r.name} is closed.' },
    { rhs: "On the {r.name}, you see [{o.indefinite + ' ' + o.name | inreceptacle(o:object, r:receptacle)}]." },
  ],
  'look.feedback': [
    {
      condition: 'atlocation(a:agent, l:location) & receptacleatlocation(r:receptacle, l:location)',
      rhs: 'You are facing the [{r.name | atlocation(a:agent, l:location) & receptacleatlocation(r:receptacle, l:location)}]. Next to it, you see #loose_objects#.',
    },
    { rhs: 'You are in the middle of a room. Looking quickly around you, you see #all_receptacles#.' },
  ],
  loose_objects: [
    {
      condition:
        'atlocation(a:agent, l:location) & objectatlocation(o:object, l:location) & receptacleatlocation(r:receptacle, l:location) & not_inreceptacle(o:object, r:receptacle)',
      rhs: "[{o.indefinite + ' ' + o.name | atlocation(a:agent, l:location) & objectatlocation(o:object, l:location) & receptacleatlocation(r:receptacle, l:location) & not_inreceptacle(o:object, r:receptacle)}]",
    },
    { rhs: 'nothing' },
  ],
  all_receptacles: [
    { condition: 'receptacleatlocation(r:receptacle, l:location)', rhs: "[{r.indefinite + ' ' + r.name | receptacleatlocation(r:receptacle, l:location)}]" },
    { rhs: 'nothing' },
  ],
  list_empty: [{ rhs: 'nothing' }],
  list_separator: [{ rhs: ', ' }],
  list_last_separator: [{ rhs: ', and ' }],
};

/** Per action: command template, feedback text rules. */
const ACTIONS: [string, string, { condition?: string; rhs: string }[]][] = [
  ['GotoLocation', 'go to {r}', [{ rhs: 'You arrive at {r.name}. #showReceptacle#' }]],
  ['OpenObject', 'open {r}', [{ rhs: 'You open the {r.name}. #showReceptacle#' }]],
  ['CloseObject', 'close {r}', [{ rhs: 'You close the {r.name}.' }]],
  ['PickupObject', 'take {o} from {r}', [{ rhs: 'You pick up the {o.name} from the {r.name}.' }]],
  ['PutObject', 'put {o} in/on {r}', [{ rhs: 'You put the {o.name} in/on the {r.name}.' }]],
  [
    'inventory',
    'inventory',
    [
      { condition: 'holdsany(a:agent)', rhs: "You are carrying: [{o.indefinite + ' ' + o.name | holds(a:agent, o:object)}]." },
      { rhs: 'You are not carrying anything.' },
    ],
  ],
  ['examineReceptacle', 'examine {r}', [{ rhs: '#showReceptacle#' }]],
  [
    'examineObject',
    'examine {o}',
    [
      { condition: 'isreceptacleobject(o:object)', rhs: 'This is a normal {o.name}. In it, you see nothing.' },
      { condition: 'isclean(o:object) & ishot(o:object)', rhs: 'This is a hot and clean {o.name}.' },
      { condition: 'isclean(o:object) & iscool(o:object)', rhs: 'This is a cool and clean {o.name}.' },
      { condition: 'ishot(o:object)', rhs: 'This is a hot {o.name}.' },
      { condition: 'isclean(o:object)', rhs: 'This is a clean {o.name}.' },
      { condition: 'iscool(o:object)', rhs: 'This is a cold {o.name}.' },
      { condition: 'issliced(o:object)', rhs: 'This is a sliced {o.name}.' },
      { condition: 'toggleable(o:object) & istoggled(o:object)', rhs: 'This {o.name} is on.' },
      { rhs: "There's nothing special about {o.name}." },
    ],
  ],
  ['ToggleObject', 'use {o}', [{ rhs: 'You turn on the {o.name}.' }]],
  ['HeatObject', 'heat {o} with {r}', [{ rhs: 'You heat the {o.name} using the {r.name}.' }]],
  ['CleanObject', 'clean {o} with {r}', [{ rhs: 'You clean the {o.name} using the {r.name}.' }]],
  ['CoolObject', 'cool {o} with {r}', [{ rhs: 'You cool the {o.name} using the {r.name}.' }]],
  ['SliceObject', 'slice {co} with {ko}', [{ rhs: 'You slice the {co.name} with the {ko.name}.' }]],
  ['look', 'look', []],
];

/** The twl2 document of a generated game, with its task sentence baked in (as ALFWorld bakes in its goal text). */
export function householdGrammar(taskSentence: string): string {
  const global = { ...GLOBAL_RULES, task: [{ rhs: `Your task is to: ${taskSentence}.` }] };
  const blocks = [`# rl-ggml household text grammar\ngrammar :: """\n${JSON.stringify(global, null, 2)}\n""";\n`];
  for (const [name, template, rules] of ACTIONS) {
    // An action without rules of its own answers with the shared rule of the same name (look.feedback).
    const symbol = `${name}.feedback`;
    const grammar = rules.length ? `  grammar :: """\n${JSON.stringify({ [symbol]: rules }, null, 2)}\n""";\n` : '';
    blocks.push(`action ${name} {\n  template :: "${template}";\n  feedback :: "#${symbol}#";\n${grammar}}\n`);
  }
  return blocks.join('\n');
}
