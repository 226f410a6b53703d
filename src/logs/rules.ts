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
  atStart(rec: LogRecord): Match[] {
    return apply(this.startRules, rec, new Set());
  }

  /** Matches once the requester is known (or cannot be), for categories not matched before. */
  atRequester(rec: LogRecord, matchedBefore: readonly Match[]): Match[] {
    if (this.requesterRules.length === 0) return [];
    return apply(this.requesterRules, rec, new Set(matchedBefore.map((m) => m.category)));
  }

  /** Matches when a record ends, for categories not matched before. */
  atEnd(rec: LogRecord, matchedBefore: readonly Match[]): Match[] {
    if (this.endRules.length === 0) return [];
    return apply(this.endRules, rec, new Set(matchedBefore.map((m) => m.category)));
  }
}

function apply(rules: readonly Rule[], rec: LogRecord, done: Set<Category>): Match[] {
  if (rec.duplicate) return [];
  const out: Match[] = [];
  for (const rule of rules) {
    if (done.has(rule.category)) continue;
    const m = rule.match(rec);
    if (m) {
      out.push({ category: rule.category, kind: m.kind, rule: rule.name, ...(m.server && { server: m.server }) });
      done.add(rule.category);
    }
  }
  return out;
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
