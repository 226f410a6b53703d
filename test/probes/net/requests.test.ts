import { describe, expect, it } from 'vitest';
import { bearer, readLimited } from '../../../src/probes/net/requests.js';
import { joinUrl } from '../../../src/util/url.js';

describe('http helpers', () => {
  it.each([
    ['http://gw:4000', '/health', 'http://gw:4000/health'],
    ['http://gw:4000/', '/mcp/', 'http://gw:4000/mcp/'],
    ['https://host/litellm/', '/health?x=1', 'https://host/litellm/health?x=1'],
  ])('joinUrl(%s, %s)', (base, path, url) => expect(joinUrl(base, path)).toBe(url));
  it('adds the Bearer prefix only when missing', () => {
    expect(bearer('sk-1')).toBe('Bearer sk-1');
    expect(bearer('Bearer sk-1')).toBe('Bearer sk-1');
    expect(bearer('bearer sk-1')).toBe('bearer sk-1');
  });
  it('reads a body up to the limit and destroys the rest', async () => {
    let destroyed = false;
    async function* gen() {
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(1024, 'a');
    }
    const it = Object.assign(gen(), { destroy: () => (destroyed = true) });
    const r = await readLimited(it, 4096 + 10);
    expect(r).toMatchObject({ truncated: true, bytes: 4106 });
    expect(r.text).toHaveLength(4106);
    expect(destroyed).toBe(true);
  });
});
