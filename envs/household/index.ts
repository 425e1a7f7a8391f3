import type { EnvSpec } from '../core/types.js';

export const specs: EnvSpec[] = [];
