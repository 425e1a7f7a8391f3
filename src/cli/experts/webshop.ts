import { RlGgmlError } from '../../errors.js';
import type { ExpertsArgs } from './args.js';

export async function webshopExperts(_argv: ExpertsArgs): Promise<void> {
  throw new RlGgmlError('NOT_IMPLEMENTED', 'experts: not implemented yet for this environment');
}
