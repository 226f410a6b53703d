import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/logger.js';
import { Redactor } from '../../src/util/redact.js';

const KEY = 'sk-logger-test-0123456789abcdefWXYZ';
const SECRET = 'configured-logger-secret';

/** A logger over a Redactor that knows SECRET, and the JSON lines it writes. */
function logger(level: 'info' | 'debug' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const redactor = new Redactor();
  redactor.addSecrets([SECRET]);
  return { log: createLogger({ level, redactor, destination }), lines };
}

describe('createLogger', () => {
  it('writes JSON lines: the level as a label, an ISO time, the name', () => {
    const { log, lines } = logger();
    log.info({ probe: 'a' }, 'hello');
    log.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'mcpwatch', probe: 'a', msg: 'hello' });
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('masks keys and configured secrets in messages and fields, and censors credential paths', () => {
    const { log, lines } = logger();
    log.warn({ detail: `sent ${KEY}`, nested: { note: SECRET } }, `key ${KEY} and ${SECRET}`);
    log.info({ headers: { authorization: `Bearer ${KEY}` }, target: { apiKey: 'plain', token: 't0ken-value' } }, 'x');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(SECRET);
    expect(lines[0]).toMatchObject({ msg: 'key sk-…WXYZ and ***', detail: 'sent sk-…WXYZ', nested: { note: '***' } });
    expect(lines[1]).toMatchObject({ headers: { authorization: '***' }, target: { apiKey: '***', token: '***' } });
  });

  it("masks an error's message", () => {
    const { log, lines } = logger();
    log.error({ err: new Error(`refused ${KEY}`) }, 'failed');
    expect(JSON.stringify(lines)).not.toContain(KEY);
    expect(lines[0]).toMatchObject({ err: { message: 'refused sk-…WXYZ' } });
  });
});
