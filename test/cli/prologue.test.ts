import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadCommandConfig, plainLine, redactedLogging } from '../../src/cli/prologue.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// What every command does first: the config loaded (its problems printed), a redactor of its secrets and a
// logger through it.

const SECRET = 'not-an-sk-shaped-SECRET-0123';
const VALID = `targets:\n  gw: { url: "http://127.0.0.1:9", apiKey: "${SECRET}" }\nprobes: []\n`;

describe('loadCommandConfig', () => {
  it('a valid config: returned, nothing printed', async () => {
    const path = writeConfig(tempDir(), VALID);
    const r = await captured(() => loadCommandConfig(path, {}));
    expect(r.value?.targets.gw?.url).toBe('http://127.0.0.1:9');
    expect(r.stdout + r.stderr).toBe('');
  });

  it('an invalid config: undefined, each problem on stderr as path: message, then the line given', async () => {
    const path = writeConfig(
      tempDir(),
      'targets:\n  gw: { url: "http://x" }\nprobes:\n  - { name: a, type: http, target: nope, every: 5 }\n',
    );
    const r = await captured(() => loadCommandConfig(path, {}, `${path}: the command's own line`));
    expect(r.value).toBeUndefined();
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^probes\[0\]\.\S+: /);
    expect(lines.at(-1)).toBe(`${path}: the command's own line`);
  });

  it('a file that is not there: one problem, no line of the command unless given', async () => {
    const r = await captured(() => loadCommandConfig('/nonexistent/mcpwatch.yaml', {}));
    expect(r.value).toBeUndefined();
    expect(r.stderr).toMatch(/^\(file\): cannot read config file \/nonexistent\/mcpwatch\.yaml: .*\n$/);
  });
});

describe('redactedLogging', () => {
  const config = async () => (await loadCommandConfig(writeConfig(tempDir(), VALID), {}))!;

  it("a command's: warnings and errors only, to stderr as plain lines, the config's secrets masked", async () => {
    const { logger, redactor } = redactedLogging(await config());
    expect(redactor.mask(`key ${SECRET}`)).not.toContain(SECRET);
    const r = await captured(async () => {
      logger.info(`info ${SECRET}`);
      logger.warn(`warn ${SECRET}`);
      logger.child({ probe: 'lan', target: 'gw' }).warn({ added: ['a'], sent: `Bearer ${SECRET}` }, 'catalog changed');
      logger.error({ err: new Error(`refused ${SECRET} and sk-unknown-0000000000wxyz`) }, 'recording failed');
      logger.flush();
    });
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      'warning: warn ***',
      'warning: catalog changed (probe: lan, target: gw, added: ["a"], sent: Bearer ***)',
      'error: recording failed (err: refused *** and sk-…wxyz)',
      '',
    ]);
  });

  it("the agent's: its level, to the destination given", async () => {
    let written = '';
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    const { logger } = redactedLogging(await config(), { level: 'info', destination });
    logger.debug('debug');
    logger.info(`info ${SECRET}`);
    expect(
      written
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).level),
    ).toEqual(['info']);
    expect(written).not.toContain(SECRET);
  });
});

describe('plainLine', () => {
  it('a record as a person reads it: the level as a word, the message, its own fields', () => {
    const rec = (o: object): string => `${JSON.stringify({ level: 'warn', time: 't', name: 'mcpwatch', ...o })}\n`;
    expect(plainLine(rec({ msg: 'plain' }))).toBe('warning: plain');
    expect(plainLine(rec({ msg: 'n', count: 3, ok: false, list: [1] }))).toBe(
      'warning: n (count: 3, ok: false, list: [1])',
    );
    expect(plainLine(rec({ level: 'fatal', msg: 'x' }))).toBe('error: x');
    expect(plainLine(rec({ msg: '' }))).toBe('warning: (no message)');
    expect(plainLine('not json\n')).toBe('not json');
    expect(plainLine('null')).toBe('null');
  });
});
