/**
 * A scripted expert that knows the target: search with the instruction (minus its price clause), page to the
 * target with `Next >` (or search its exact title when it is not in the top 50), open it, choose the page values
 * that match the goal's options, buy. Emits ETO-style turns.
 */
import type { Goal } from './goals.js';
import type { ChatTurn } from '../core/chat.js';
import { EtoWebShop } from './eto.js';
import { RESULTS_PER_PAGE } from './pages.js';
import { normalizeColor, tokenSetRatio } from './reward.js';
import { goalQuery, WebShopSession } from './session.js';
import type { Shop } from './shop.js';

export interface ExpertTrajectory {
  id: string;
  goal: number;
  reward: number;
  conversations: ChatTurn[];
}

/** Option values of the product to click for the goal's options, one per goal option, first match wins. */
export function optionClicks(options: [string, string[]][], goal: Goal): string[] {
  const clicks: string[] = [];
  for (const g of goal.goal_options) {
    const want = normalizeColor(g);
    for (const [name, values] of options) {
      const hit = values.find((v) => (Array.isArray(g) ? g[0] === name && g[1] === v : tokenSetRatio(normalizeColor(v), want) > 85));
      if (hit !== undefined) {
        if (!clicks.includes(hit)) clicks.push(hit);
        break;
      }
    }
  }
  return clicks;
}

/** Plans the expert's replies for goal `index`; null when the target cannot be reached in the step limit. */
export function planExpert(shop: Shop, index: number, maxSteps: number): { action: string; thought: string }[] | null {
  const goal = shop.goals[index];
  const target = shop.catalog.docOf(goal.asin);
  if (target === undefined) return null;
  const plan: { action: string; thought: string }[] = [];
  const candidates = [goalQuery(goal), shop.catalog.product(target).Title.toLowerCase()];
  let rank = -1;
  for (const query of candidates) {
    if (!query.trim()) continue;
    plan.push({ action: `search[${query}]`, thought: plan.length ? 'The product is not among these results. I will search for its exact name.' : 'I will search for what the instruction describes.' });
    rank = shop.search(query).indexOf(target);
    if (rank >= 0) break;
  }
  if (rank < 0) return null;
  for (let page = 1; page <= Math.floor(rank / RESULTS_PER_PAGE); page++) {
    plan.push({ action: 'click[next >]', thought: 'The matching product is not on this page; I will look at the next page.' });
  }
  const product = shop.catalog.product(target);
  plan.push({ action: `click[${product.asin.toLowerCase()}]`, thought: `${product.asin} looks like what the instruction asks for; I will open it.` });
  for (const value of optionClicks(product.options, goal)) {
    plan.push({ action: `click[${value}]`, thought: `The instruction asks for ${value}, so I will select it.` });
  }
  plan.push({ action: 'click[buy now]', thought: 'This product and these options fit the instruction; I will buy it.' });
  return plan.length <= maxSteps ? plan : null;
}

/** Runs the expert on goal `index` through ETO's wrapper; null when it cannot finish within the step limit. */
export function runExpert(shop: Shop, index: number, maxSteps = 10): ExpertTrajectory | null {
  const plan = planExpert(shop, index, maxSteps);
  if (!plan) return null;
  const env = new EtoWebShop(new WebShopSession(shop), maxSteps);
  const conversations = env.reset(index);
  let reward = 0;
  for (const { action, thought } of plan) {
    const reply = `Thought: ${thought}\nAction: ${action}`;
    conversations.push({ from: 'gpt', value: reply });
    const r = env.step(reply);
    reward = r.reward;
    if (r.done) break;
    conversations.push({ from: 'human', value: r.observation });
  }
  return { id: `webshop_${index}`, goal: index, reward, conversations };
}
