import { describe, expect, it } from 'vitest';
import { PROBE_TABLE, PROBE_TYPES, probeSchema, probeTypeOf } from '../../src/probes/table.js';

/** The smallest valid probe of each type. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  http: { name: 'h', type: 'http', target: 'lan' },
  mcp_catalog: { name: 'c', type: 'mcp_catalog', target: 'lan' },
  mcp_call: { name: 'k', type: 'mcp_call', target: 'lan', tool: 'fs-read' },
  auth_guard: { name: 'g', type: 'auth_guard', target: 'lan' },
  client_config: { name: 'cc', type: 'client_config', target: 'lan', file: '/codex.toml', server: 'litellm' },
};

describe('PROBE_TABLE', () => {
  it.each(Object.entries(PROBE_TABLE))("the key %s is its schema's type literal", (key, def) => {
    expect(def.schema.shape.type.value).toBe(key);
  });

  it('PROBE_TYPES lists the types in table order', () => {
    expect(PROBE_TYPES).toEqual(['http', 'mcp_catalog', 'mcp_call', 'auth_guard', 'client_config']);
  });
});

describe('probeTypeOf', () => {
  it.each(PROBE_TYPES)('finds %s', (type) => {
    expect(probeTypeOf(type)).toBe(PROBE_TABLE[type]);
  });

  it.each(['grpc', '', 'HTTP', 'mcp-catalog'])('is undefined for the unknown name %j', (name) => {
    expect(probeTypeOf(name)).toBeUndefined();
  });

  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf'])(
    'is undefined for the inherited key %s',
    (name) => {
      expect(probeTypeOf(name)).toBeUndefined();
    },
  );
});

describe('probeSchema', () => {
  it('has a minimal probe for every type in this test', () => {
    expect(Object.keys(MINIMAL).sort()).toEqual([...PROBE_TYPES].sort());
  });

  it.each(Object.entries(MINIMAL))('accepts a minimal %s probe', (type, probe) => {
    const r = probeSchema.safeParse(probe);
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ ...probe, type });
  });

  it('refuses an unknown type', () => {
    const r = probeSchema.safeParse({ name: 'a', type: 'grpc', target: 'lan' });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toMatchObject([{ code: 'invalid_union', path: ['type'] }]);
  });

  it('refuses a probe without a type', () => {
    expect(probeSchema.safeParse({ name: 'a', target: 'lan' }).success).toBe(false);
  });

  it("checks a probe against its own type's schema (a key of another type is unknown)", () => {
    const r = probeSchema.safeParse({ ...MINIMAL.http, tool: 'fs-read' });
    expect(r.error?.issues).toMatchObject([{ code: 'unrecognized_keys', keys: ['tool'] }]);
  });
});
