import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from './agent-proc.js';

/**
 * promtool rule tests built from what a real agent served: scrapes of /metrics taken in phases (all up, an
 * outage, the recovery), played back as promtool `input_series` at the rules' evaluation interval, so the
 * shipped alert rules can be checked against the series a real outage produces.
 *
 * The runs behind the scrapes are faster than a deployment's (a probe every few seconds, not every minute): one
 * step of the played-back series stands for `realSecondsPerStep` real seconds, one round of the probes, as a
 * deployment's probe runs once per evaluation. Each phase plays its scrapes in order, one per step, then holds
 * them for the rest of its minutes: a gauge keeps its last value; a counter keeps increasing by the mean step of
 * the phase's scrapes (its deltas across them), and between phases it jumps by what it really gained between the
 * last scrape of one and the first of the next (a restart's own counts). Timestamps (`*_timestamp_seconds`) are
 * moved onto the test's clock (promtool's starts at 0): one that advanced during a phase keeps its age (scaled
 * as the steps are), one that did not stays where the real one was; an expiry keeps its real distance. A series
 * not yet scraped is `_`, one that left the scrape `stale`, as Prometheus marks it. Prometheus' `up` of the target
 * (with `labels`) is 1 at every step: each step had its scrape.
 */

/** One scrape of /metrics: when (ms since the epoch) and the text exposition. */
export interface Scrape {
  at: number;
  text: string;
}

/** A phase of the real run: its scrapes, played back over `minutes` steps (at least one per scrape). */
export interface Phase {
  name: string;
  minutes: number;
  scrapes: Scrape[];
}

export interface PlaybackOptions {
  /** Real seconds one step stands for (the probes' interval in the real run). */
  realSecondsPerStep: number;
  /** Labels every series gets, as the scrape config adds them (job, instance). */
  labels: Record<string, string>;
  /** Families kept (default: mcpwatch's own, `mcp_*` and `mcpwatch_*`; process metrics reach no rule). */
  include?: (family: string) => boolean;
}

export interface InputSeries {
  series: string;
  values: string;
}

export interface Playback {
  series: InputSeries[];
  /** The first step (minute) of each phase, by name. */
  starts: Record<string, number>;
  /** Steps in all. */
  steps: number;
}

type Kind = 'counter' | 'gauge';
interface Sample {
  family: string;
  kind: Kind;
  /** The series as promtool's `series` writes it, labels sorted (the added ones first). */
  key: string;
  value: number;
}

const STEP = 60;

/** The samples of a text exposition (0.0.4 or OpenMetrics), each with its family and whether it counts. */
export function parseExposition(text: string, extra: Record<string, string>): Sample[] {
  const types = new Map<string, string>();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const name = m[1]!;
    const family = [name, name.replace(/_(bucket|sum|count|total|created)$/, '')].find((n) => types.has(n)) ?? name;
    const type = types.get(family) ?? 'untyped';
    const labels = [...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`);
    const added = Object.entries(extra).map(([k, v]) => `${k}="${v}"`);
    out.push({
      family,
      kind: type === 'counter' || type === 'histogram' || type === 'summary' ? 'counter' : 'gauge',
      key: `${name}{${[...added, ...labels.sort()].join(',')}}`,
      value: Number(m[4]),
    });
  }
  return out;
}

/** `realSec → testSec`: piecewise linear through the scrapes, extrapolated at the steps' scale beyond them. */
function clockOf(points: Array<[number, number]>, scale: number): (t: number) => number {
  return (t) => {
    const first = points[0]!;
    const last = points[points.length - 1]!;
    if (t <= first[0]) return first[1] + (t - first[0]) * scale;
    if (t >= last[0]) return last[1] + (t - last[0]) * scale;
    for (let i = 1; i < points.length; i++) {
      const [r1, s1] = points[i]!;
      const [r0, s0] = points[i - 1]!;
      if (t <= r1) return r1 === r0 ? s1 : s0 + ((t - r0) / (r1 - r0)) * (s1 - s0);
    }
    return last[1];
  };
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(Number(v.toFixed(6))) : String(v));

/** The phases' scrapes as promtool input series, one value per step (see the top of this file). */
export function playback(phases: Phase[], opts: PlaybackOptions): Playback {
  const include = opts.include ?? ((f: string) => /^(mcp|mcpwatch)_/.test(f));
  const scale = STEP / opts.realSecondsPerStep;
  const parsed = phases.map((p) => {
    if (p.scrapes.length === 0 || p.scrapes.length > p.minutes)
      throw new Error(`phase ${p.name}: ${p.scrapes.length} scrapes for ${p.minutes} steps`);
    return p.scrapes.map((s) => {
      const samples = parseExposition(s.text, opts.labels).filter((x) => include(x.family));
      return { at: s.at / 1000, byKey: new Map(samples.map((x) => [x.key, x])) };
    });
  });
  const starts: Record<string, number> = {};
  const points: Array<[number, number]> = [];
  let step = 0;
  phases.forEach((p, k) => {
    starts[p.name] = step;
    parsed[k]!.forEach((s, j) => points.push([s.at, (step + j) * STEP]));
    step += p.minutes;
  });
  const clock = clockOf(points, scale);
  const keys = new Map<string, Sample>();
  for (const ph of parsed) for (const s of ph) for (const [key, x] of s.byKey) if (!keys.has(key)) keys.set(key, x);

  const series: InputSeries[] = [];
  for (const [key, proto] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const values: string[] = [];
    let seen = false;
    let gone = false;
    let offset = 0; // what the held steps added to a counter so far
    const push = (v: number | undefined): void => {
      if (v === undefined) {
        values.push(seen && !gone ? 'stale' : '_');
        gone = seen;
        return;
      }
      seen = true;
      gone = false;
      values.push(fmt(v));
    };
    phases.forEach((p, k) => {
      const ph = parsed[k]!;
      const at = (j: number) => ph[j]!.byKey.get(key)?.value;
      const lastJ = ph.length - 1;
      const last = at(lastJ);
      const first = ph.findIndex((s) => s.byKey.has(key));
      const t = (j: number) => ph[j]!.at;
      const stepAt = (j: number) => (starts[p.name]! + j) * STEP;
      const isTime = /_timestamp_seconds$/.test(proto.family);
      const isExpiry = isTime && /expiry/.test(proto.family);
      // Played: the scrapes in order.
      for (let j = 0; j <= lastJ; j++) {
        const v = at(j);
        if (v === undefined) push(undefined);
        else if (proto.kind === 'counter') push(v + offset);
        else if (!isTime) push(v);
        else push(isExpiry ? stepAt(j) + (v - t(j)) : clock(v));
      }
      // Held: the rest of the phase's minutes.
      const held = p.minutes - ph.length;
      const advanced = last !== undefined && first >= 0 && first < lastJ && last > at(first)!;
      const perStep = advanced && proto.kind === 'counter' ? (last - at(first)!) / (lastJ - first) : 0;
      for (let h = 1; h <= held; h++) {
        const s = stepAt(lastJ + h);
        if (last === undefined) push(undefined);
        else if (proto.kind === 'counter') push(last + offset + h * perStep);
        else if (!isTime) push(last);
        else if (isExpiry) push(s + (last - t(lastJ)));
        else push(advanced ? s - (t(lastJ) - last) * scale : clock(last));
      }
      offset += held * perStep;
    });
    series.push({ series: key, values: values.join(' ') });
  }
  // Every step had its scrape: Prometheus' own `up` of the target is 1 throughout.
  const up = Object.entries(opts.labels).map(([k, v]) => `${k}="${v}"`);
  series.push({ series: `up{${up.join(',')}}`, values: Array<string>(step).fill('1').join(' ') });
  return { series, starts, steps: step };
}

/** The shipped rules without their annotations: promtool compares them whole, and only the firing is asked here. */
export function rulesWithoutAnnotations(): { yaml: string; alerts: string[] } {
  const rules = parse(readFileSync(join(REPO, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; annotations?: unknown }> }>;
  };
  for (const g of rules.groups) for (const r of g.rules) delete r.annotations;
  const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
  return { yaml: stringify(rules), alerts };
}

/** An alert expected firing: its labels, as the rule gives them (without alertname). */
export type ExpectedAlert = Record<string, string>;

export interface Expectation {
  /** When, in minutes from the start of the played-back series. */
  minute: number;
  /** Every alert expected firing then, by name; an alert not named must not fire. */
  firing: Record<string, ExpectedAlert[]>;
}

/**
 * A promtool test file: the rules (without annotations, written beside it as alerts.yml), the series, and for
 * each expectation an `alert_rule_test` entry per alert of the rules: its exact firing set, empty for those that
 * must stay quiet. Returns the file's path.
 */
export function writePromtoolTest(dir: string, name: string, play: Playback, expectations: Expectation[]): string {
  const { yaml, alerts } = rulesWithoutAnnotations();
  writeFileSync(join(dir, 'alerts.yml'), yaml);
  for (const e of expectations)
    for (const a of Object.keys(e.firing))
      if (!alerts.includes(a)) throw new Error(`expected ${a} at ${e.minute}m: no such alert in alerts.yml`);
  const file = join(dir, 'alert-precision.test.yml');
  const test = {
    rule_files: ['alerts.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        name,
        interval: '1m',
        input_series: play.series,
        alert_rule_test: expectations.flatMap((e) =>
          alerts.map((alertname) => ({
            eval_time: `${e.minute}m`,
            alertname,
            exp_alerts: (e.firing[alertname] ?? []).map((labels) => ({ exp_labels: labels })),
          })),
        ),
      },
    ],
  };
  writeFileSync(file, stringify(test, { lineWidth: 0 }));
  return file;
}

/** `promtool test rules FILE`: its exit and output (promtool from Debian's prometheus package). */
export function promtoolTestRules(file: string, cwd: string): { ok: boolean; output: string } {
  try {
    const out = execFileSync('promtool', ['test', 'rules', file], { cwd, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: out };
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error("promtool not found: install Debian's prometheus package (scripts/setup-test-env.sh does)", {
        cause: err,
      });
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
