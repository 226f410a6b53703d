import { describe, expect, it } from 'vitest';
import { http } from '../../../src/probes/http/index.js';

const spec = (more: Record<string, unknown> = {}) =>
  http.schema.parse({ name: 'h', type: 'http', target: 'lan', ...more });

describe('the http probe type', () => {
  it("its own headers are the probe's headers (for the redactor)", () => {
    expect(http.ownHeaders(spec({ headers: { 'X-Token': 'secret' } }))).toEqual({ 'X-Token': 'secret' });
    expect(http.ownHeaders(spec())).toEqual({});
  });

  it('each run is one request on a fresh connection', () => {
    expect(http.freshConnection).toBe(true);
  });

  it.each(['provokesAuthErrors', 'readsCatalog', 'series', 'format', 'subject', 'settle', 'crossCheck'])(
    'has no %s',
    (part) => {
      expect(http).not.toHaveProperty(part);
    },
  );

  it('its run is a function, loaded on first use', () => {
    expect(typeof http.run).toBe('function');
  });
});
