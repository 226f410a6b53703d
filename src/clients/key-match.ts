// Which of a target's keys a client entry sends (issue 27): matched by value, told by name. The values are hashed and
// compared in constant time; nothing here returns, prints or keeps a key.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Target } from '../config/target.js';
import { resolveValue, targetOf } from './checks.js';
import type { ClientEntry, ClientFile, ClientKind } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The key an entry sends, by name: `main` (the target's own apiKey, mostly LiteLLM's master key), `named` (one of
 * the target's `keys`), or `unknown` (a key mcpwatch does not know). Entries whose key is not known here (a variable
 * unset, a VS Code input) or that send none have none.
 */
export interface EntryKey {
  file: string;
  line: number;
  client: ClientKind;
  server: string;
  target: string;
  which: 'main' | 'named' | 'unknown';
  /** The named key's name (`which: named`). */
  key?: string;
  /** `warning` for the main key (it bypasses per-key scoping), else `info`. Neither fails anything. */
  level: 'info' | 'warning';
  /** `uses key codex of target litellm`, said for people. */
  message: string;
}

/** The headers a gateway key may come in, the one LiteLLM reads first first. */
const KEY_HEADERS = ['x-litellm-api-key', 'authorization'] as const;

/** A key as compared: without `Bearer ` (targets and clients may write it or not), trimmed. */
function bare(value: string): string {
  return value.trim().replace(/^bearer\s+/i, '');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(bare(value), 'utf8').digest();
}

/**
 * Which of `candidates` (name → value) `sent` is, compared in constant time on their SHA-256 (equal lengths, no early
 * exit: every candidate is compared). Undefined when none is. Exported for its tests.
 */
export function matchKey(sent: string, candidates: ReadonlyArray<[string, string]>): string | undefined {
  const mine = digest(sent);
  let found: string | undefined;
  for (const [name, value] of candidates) {
    const equal = timingSafeEqual(mine, digest(value));
    if (equal && found === undefined) found = name;
  }
  return found;
}

/** The value an entry sends as its gateway key, resolved as its client resolves it; undefined when not known here. */
function sentKey(e: ClientEntry, env: Env): string | undefined {
  for (const name of KEY_HEADERS) {
    const h = e.headers.find((x) => x.name.toLowerCase() === name);
    if (!h) continue;
    const value = resolveValue(h.value, e.client, env).value;
    return value === undefined || bare(value) === '' ? undefined : value;
  }
  return undefined;
}

/** The main key's candidate name: no target key can be called this (names are identifiers). */
const MAIN = '\u0000main';

/** Pure but for hashing: which configured key each gateway entry of the files sends, in file and line order. */
export function entryKeys(
  files: readonly ClientFile[],
  targets: Readonly<Record<string, Target>>,
  env: Env,
): EntryKey[] {
  const out: EntryKey[] = [];
  for (const e of files.flatMap((f) => f.entries)) {
    if (!e.url) continue;
    const target = targetOf(e.url.text, targets);
    if (!target) continue;
    const sent = sentKey(e, env);
    if (sent === undefined) continue;
    const candidates: Array<[string, string]> = [];
    if (target.apiKey !== undefined) candidates.push([MAIN, target.apiKey]);
    for (const [name, k] of Object.entries(target.keys ?? {}))
      if (k.apiKey !== undefined) candidates.push([name, k.apiKey]);
    const name = matchKey(sent, candidates);
    const where = { file: e.file, line: e.line, client: e.client, server: e.server, target: target.name };
    out.push(
      name === MAIN
        ? { ...where, which: 'main', level: 'warning', message: mainKeyMessage(target.name) }
        : name !== undefined
          ? { ...where, which: 'named', key: name, level: 'info', message: `uses key ${name} of target ${target.name}` }
          : {
              ...where,
              which: 'unknown',
              level: 'info',
              message:
                `uses a key mcpwatch does not know (neither target ${target.name}'s own nor one of its keys): ` +
                `add it to targets.${target.name}.keys to see the gateway as this client does`,
            },
    );
  }
  return out;
}

function mainKeyMessage(target: string): string {
  return (
    `uses the master key (target ${target}'s own key): LiteLLM scopes no request made with it, so this client ` +
    `sees and may call every server; give it a key of its own (and add it to targets.${target}.keys)`
  );
}

/** An entry's key as a line about its view names it: `key codex`, `the master key`, `a key mcpwatch does not know`. */
export function keyLabel(k: Pick<EntryKey, 'which' | 'key'>): string {
  return k.which === 'named' ? `key ${k.key}` : k.which === 'main' ? 'the master key' : 'a key mcpwatch does not know';
}

/** `FILE:LINE: key: SERVER: message` (not a finding: it fails nothing and counts in no total). */
export function formatEntryKey(k: EntryKey): string {
  return `${k.file}:${k.line}: key: ${k.server}: ${k.message}`;
}

/** What an entry's key saw through the entry's own request (a live try that listed tools). */
export interface EntryView {
  file: string;
  server: string;
  /** The key the entry sends by name (`key codex`, `the master key`, `a key mcpwatch does not know`), not value. */
  key?: string;
  /** Tools per server, as the entry's own tools/list showed them. */
  sees: Record<string, number>;
  /**
   * Servers the target's own key lists that this entry's key did not (of those it asked for, when it names any):
   * only for an entry that does not send the target's own key, when that list could be read.
   */
  unseen?: string[];
}

/** `key codex sees mcp_fs (14 tools), mcp_git (3 tools); not mcp_postgres, which the target's own key sees`. */
export function viewLine(v: EntryView): string {
  const seen = Object.entries(v.sees).map(([s, n]) => `${s} (${n} tool${n === 1 ? '' : 's'})`);
  const who = v.key ?? 'its key';
  const not = v.unseen?.length ? `; not ${v.unseen.join(', ')}, which the target's own key sees` : '';
  return `${who} sees ${seen.join(', ') || 'no server'}${not}`;
}
