import type { ExtraRuleConfig } from '../config/schema.js';
import type { LogRecord } from './records.js';

export type Category = 'auth' | 'mcp' | 'http';

export interface Match {
  category: Category;
  kind: string;
  /** The rule that matched (built-in rule name or the config's). */
  rule: string;
  /** The upstream MCP server the record names, when it names one. */
  server?: string;
}

/**
 * A rule decides on a record as soon as its first line is known (`start`: no waiting, so
 * detection is quick), as soon as it is known who sent the request (`requester`: the first line
 * when it carries the address, as JSON records and access lines do, else LiteLLM's
 * `Requester IP Address:` line that follows it at once, else the record's end), or when the record
 * is complete (`end`: it needs the traceback).
 */
export interface Rule {
  name: string;
  category: Category;
  when: 'start' | 'requester' | 'end';
  match(rec: LogRecord): { kind: string; server?: string } | undefined;
}

/** The rules of one container: its extra rules first (more specific), then the built-in set. */
export class RuleSet {
  private readonly startRules: Rule[];
  private readonly requesterRules: Rule[];
  private readonly endRules: Rule[];

  constructor(rules: readonly Rule[]) {
    this.startRules = rules.filter((r) => r.when === 'start');
    this.requesterRules = rules.filter((r) => r.when === 'requester');
    this.endRules = rules.filter((r) => r.when === 'end');
  }

  /** Matches when a record starts; at most one per category. */
  atStart(rec: LogRecord): readonly Match[] {
    return apply(this.startRules, rec, 0);
  }

  /** Matches once the requester is known (or cannot be), for categories not matched before. */
  atRequester(rec: LogRecord, matchedBefore: readonly Match[]): readonly Match[] {
    if (this.requesterRules.length === 0) return NONE;
    return apply(this.requesterRules, rec, mask(matchedBefore));
  }

  /** Matches when a record ends, for categories not matched before. */
  atEnd(rec: LogRecord, matchedBefore: readonly Match[]): readonly Match[] {
    if (this.endRules.length === 0) return NONE;
    return apply(this.endRules, rec, mask(matchedBefore));
  }
}

// This runs for every line: categories as bits, and no allocation when nothing matches.
const BIT: Record<Category, number> = { auth: 1, mcp: 2, http: 4 };
const NONE: readonly Match[] = Object.freeze([]);

function mask(matched: readonly Match[]): number {
  let m = 0;
  for (const x of matched) m |= BIT[x.category];
  return m;
}

function apply(rules: readonly Rule[], rec: LogRecord, done: number): readonly Match[] {
  if (rec.duplicate) return NONE;
  let out: Match[] | undefined;
  for (const rule of rules) {
    const bit = BIT[rule.category];
    if (done & bit) continue;
    const m = rule.match(rec);
    if (m) {
      (out ??= []).push({
        category: rule.category,
        kind: m.kind,
        rule: rule.name,
        ...(m.server && { server: m.server }),
      });
      done |= bit;
    }
  }
  return out ?? NONE;
}

/** A config `extraRules` entry: its regex against the record's first line, when the record starts. */
export function extraRule(cfg: ExtraRuleConfig): Rule {
  const re = new RegExp(cfg.regex);
  return {
    name: cfg.name,
    category: cfg.category,
    when: 'start',
    match: (rec) => (re.test(firstLine(rec.text)) ? { kind: cfg.kind } : undefined),
  };
}

export function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/** A record's first `n` lines, at most `max` characters: how a match is shown in a list of matches. */
export function firstLines(text: string, n = 2, max = 500): string {
  const out = text.split('\n', n).join('\n');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
