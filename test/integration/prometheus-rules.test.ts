import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/agent-proc.js';

// Debian's prometheus package provides promtool; scripts/setup-test-env.sh installs it.
function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, {
      cwd: `${REPO}/config/prometheus`,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error("promtool not found: install Debian's prometheus package (scripts/setup-test-env.sh does)", {
        cause: err,
      });
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests (each alert fires and stays quiet when it should)', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
  });

  it('every alert has a test', async () => {
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const rules = parse(readFileSync(`${REPO}/config/prometheus/alerts.yml`, 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string }> }>;
    };
    const tests = parse(readFileSync(`${REPO}/config/prometheus/alerts.test.yml`, 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const fired = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    const quiet = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)),
    );
    for (const alert of rules.groups.flatMap((g) => g.rules.map((r) => r.alert))) {
      expect(fired.has(alert), `${alert} fires in a test`).toBe(true);
      expect(quiet.has(alert), `${alert} stays quiet in a test`).toBe(true);
    }
  });
});
