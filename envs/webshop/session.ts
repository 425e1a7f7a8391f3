/**
 * WebShop's text environment (WebAgentTextEnv, "text" mode) for one goal: `name[arg]` actions, search from any
 * page, clicks on current clickables only (anything else is a silent no-op), pagination, options, `< Prev` rules,
 * and Buy Now ending the episode with `get_reward`.
 */
import { EnvError } from '../../src/errors.js';
import type { Goal } from './goals.js';
import { type Clickable, type PageState, clickables, renderPage } from './pages.js';
import { PyRandom } from './pyrandom.js';
import { type RewardInfo, getReward } from './reward.js';
import { SEARCH_RETURN_N, type Shop } from './shop.js';

export interface TextStep {
  observation: string;
  reward: number;
  done: boolean;
  /** Set on the purchase. */
  rewardInfo?: RewardInfo;
}

/** WebShop's parse_action: `(.+)\[(.+)\]` matched at the start of the first line (greedy); else no argument. */
export function parseAction(action: string): { name: string; arg: string | null } {
  const m = /^([^\n]+)\[([^\n]+)\]/.exec(action);
  return m ? { name: m[1], arg: m[2] } : { name: action, arg: null };
}

/** The instruction without its price clause, lowercased: the goal-derived search text. */
export function goalQuery(goal: Goal): string {
  return goal.instruction_text.replace(/, and price lower than [\d.]+ dollars$/, '').toLowerCase();
}

export class WebShopSession {
  private state: PageState;
  private goalIndex = -1;
  /** Upstream's `<r>` search draws from the global RNG; this one is per session. */
  private readonly rng = new PyRandom(0);

  constructor(readonly shop: Shop) {
    this.state = { kind: 'search', instruction: '', results: [], page: 1, item: -1, options: [], reward: 0 };
  }

  get goal(): Goal {
    if (this.goalIndex < 0) throw new EnvError('NOT_RESET', 'webshop: reset() before step()');
    return this.shop.goals[this.goalIndex];
  }

  get goalId(): number {
    return this.goalIndex;
  }

  get page(): Readonly<PageState> {
    return this.state;
  }

  get done(): boolean {
    return this.state.kind === 'done';
  }

  /** Starts goal `index` (into the shuffled goal list) on the search page; returns the observation. */
  reset(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.shop.goals.length) {
      throw new EnvError('BAD_GOAL', `webshop: goal ${index} is outside 0..${this.shop.goals.length - 1}`);
    }
    this.goalIndex = index;
    this.state = { kind: 'search', instruction: this.shop.goals[index].instruction_text, results: [], page: 1, item: -1, options: [], reward: 0 };
    return this.observation();
  }

  private product = (doc: number) => this.shop.catalog.product(doc);

  observation(): string {
    return renderPage(this.state, this.product);
  }

  /** Current clickables (lowercased keys, page order). */
  clickables(): Map<string, Clickable> {
    return clickables(this.state, this.product);
  }

  /** Whether a search action is available (every page but the done page). */
  get canSearch(): boolean {
    return !this.done;
  }

  /** One text action, as WebAgentTextEnv.step takes it. */
  step(action: string): TextStep {
    if (this.goalIndex < 0) throw new EnvError('NOT_RESET', 'webshop: reset() before step()');
    if (this.done) return { observation: this.observation(), reward: 0, done: true };
    const { name, arg: rawArg } = parseAction(action);
    const arg = rawArg === null ? null : rawArg.toLowerCase();
    if (name === 'search' && arg) {
      this.search(arg);
    } else if (name === 'click' && arg !== null && arg !== 'search') {
      const target = this.clickables().get(arg);
      if (target) return this.click(target);
    }
    return { observation: this.observation(), reward: 0, done: false };
  }

  private search(keywords: string): void {
    const words = keywords.split(' ');
    let results: number[];
    if (words[0] === '<r>') {
      const n = this.shop.catalog.size;
      results = this.rng.sample(Array.from({ length: n }, (_, i) => i), Math.min(SEARCH_RETURN_N, n));
    } else if (words[0] === '<a>' || words[0] === '<c>' || words[0] === '<q>') {
      return; // attribute/category/query filters: not mirrored (upstream's <a> crashes); a no-op here
    } else {
      results = this.shop.search(keywords);
    }
    this.state = { ...this.state, kind: 'results', results, page: 1, item: -1, options: [] };
  }

  private click(c: Clickable): TextStep {
    const s = this.state;
    if (c.kind === 'asin') {
      this.state = { ...s, kind: 'item', item: c.doc, options: [] };
    } else if (c.kind === 'option') {
      const options = s.options.filter(([g]) => g !== c.group);
      const at = s.options.findIndex(([g]) => g === c.group);
      options.splice(at < 0 ? options.length : at, 0, [c.group, c.value]);
      this.state = { ...s, options };
    } else {
      switch (c.button) {
        case 'back to search':
          this.state = { ...s, kind: 'search', results: [], page: 1, item: -1, options: [] };
          break;
        case 'next >':
          this.state = { ...s, page: s.page + 1 };
          break;
        case '< prev':
          if (s.kind === 'results') this.state = { ...s, page: s.page - 1 };
          else if (s.kind === 'item') this.state = { ...s, kind: 'results', item: -1, options: [] };
          else this.state = { ...s, kind: 'item' };
          break;
        case 'description':
        case 'features':
        case 'reviews':
          this.state = { ...s, kind: c.button };
          break;
        case 'buy now': {
          const info = getReward(this.product(s.item), this.goal, this.shop.prices[s.item], s.options.map(([, v]) => v), this.shop.nouns);
          this.state = { ...s, kind: 'done', reward: info.reward };
          return { observation: this.observation(), reward: info.reward, done: true, rewardInfo: info };
        }
      }
    }
    return { observation: this.observation(), reward: 0, done: false };
  }

  /** A JSON snapshot (goal and page state). */
  save(): { goal: number; state: PageState } {
    return { goal: this.goalIndex, state: structuredClone(this.state) };
  }

  load(snapshot: { goal: number; state: PageState }): void {
    this.goalIndex = snapshot.goal;
    this.state = structuredClone(snapshot.state);
  }
}
