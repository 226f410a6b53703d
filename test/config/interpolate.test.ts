import { describe, expect, it } from 'vitest';
import { expandVars } from '../../src/config/interpolate.js';

describe('expandVars', () => {
  const env = { A: 'x', EMPTY: '' };
  it.each([
    ['${A}', 'x'],
    ['pre-${A}-post', 'pre-x-post'],
    ['${EMPTY}', ''],
    ['${MISSING:-dflt}', 'dflt'],
    ['${A:-dflt}', 'x'],
    ['$$', '$'],
    ['$${A}', '${A}'],
    ['cost $5', 'cost $5'],
    ['$', '$'],
  ])('%j → %j', (text, out) => expect(expandVars(text, env)).toBe(out));
  it.each([
    ['${MISSING}', 'environment variable MISSING is not set'],
    ['${1X}', 'invalid variable name "${1X}"'],
    ['${A', 'unterminated "${" in "${A" (write $$ for a literal $)'],
  ])('%j is an error', (text, error) => expect(expandVars(text, env)).toEqual({ error }));
});
