import { EnvError } from '../../src/errors.js';

/** Reading saved states back: every field is checked so a bad checkpoint fails loudly, naming the field. */
export function asRecord(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new EnvError('BAD_STATE', `${what}: expected an object, got ${JSON.stringify(json)}`);
  }
  return json as Record<string, unknown>;
}

/** An integer field in [0, limit). */
export function readIndex(record: Record<string, unknown>, key: string, limit: number): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= limit) {
    throw new EnvError('BAD_STATE', `saved state: "${key}" must be an integer in [0, ${limit}), got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readBool(record: Record<string, unknown>, key: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') {
    throw new EnvError('BAD_STATE', `saved state: "${key}" must be a boolean, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readNumber(record: Record<string, unknown>, key: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EnvError('BAD_STATE', `saved state: "${key}" must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An array of `length` integers, each in [0, limit). */
export function readIndexArray(record: Record<string, unknown>, key: string, length: number, limit: number): number[] {
  const value = record[key];
  const ok = Array.isArray(value) && value.length === length && value.every((v) => Number.isInteger(v) && v >= 0 && v < limit);
  if (!ok) {
    throw new EnvError('BAD_STATE', `saved state: "${key}" must be ${length} integers in [0, ${limit}), got ${JSON.stringify(value)}`);
  }
  return [...(value as number[])];
}
