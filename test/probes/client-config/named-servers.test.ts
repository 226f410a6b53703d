import { describe, expect, it } from 'vitest';
import { namedServers, type NamedServers } from '../../../src/probes/client-config/named-servers.js';
import type { ServerOutcomes } from '../../../src/probes/types.js';

// Which finding a server an entry names gets when it listed no tools in the entry's own request: the gateway's
// outage (server_down: it has the server, by its word or its list) or the file's mistake (unknown_server). The
// outcomes are in LiteLLM 1.109.1's words (test/integration/mcp-postgres-litellm.test.ts: a server whose command
// fails is `internal`).

const LISTED_NOTHING =
  "in the gateway's server list, but it listed no tools and the gateway gave no reason " +
  '(LiteLLM 1.77: an upstream that fails to start lists nothing)';
const INTERNAL =
  "the gateway says internal — the gateway could not start or query it: check its command and the gateway's log";

describe('namedServers', () => {
  it.each<[string, string[], Record<string, number>, ServerOutcomes, string[] | undefined, NamedServers]>([
    [
      'every named server listed its tools: nothing to say',
      ['fs', 'ev'],
      { fs: 14, ev: 3 },
      {},
      undefined,
      {
        down: [],
        unknown: [],
      },
    ],
    [
      '1.77, the list not read yet: a server that listed nothing cannot be told apart',
      ['fs', 'ev'],
      { fs: 14, ev: 0 },
      {},
      undefined,
      { down: [], unknown: ['ev'] },
    ],
    [
      "1.77: a server in the gateway's list that listed nothing is down, not unknown",
      ['fs', 'ev'],
      { fs: 14, ev: 0 },
      {},
      ['fs', 'ev'],
      { down: [{ server: 'ev', words: LISTED_NOTHING }], unknown: [] },
    ],
    [
      "1.77: a name the gateway's list does not have is unknown",
      ['fs', 'nope'],
      { fs: 14, nope: 0 },
      {},
      ['fs', 'ev'],
      { down: [], unknown: ['nope'] },
    ],
    [
      '1.77: one of each',
      ['fs', 'ev', 'nope'],
      { fs: 14, ev: 0, nope: 0 },
      {},
      ['fs', 'ev'],
      { down: [{ server: 'ev', words: LISTED_NOTHING }], unknown: ['nope'] },
    ],
    [
      "1.109: the gateway's own word (server_outcomes) makes it down, with that word, without its list",
      ['fs', 'ev'],
      { fs: 14, ev: 0 },
      { fs: { status: 'ok', tool_count: 14 }, ev: { status: 'internal' } },
      undefined,
      { down: [{ server: 'ev', words: INTERNAL }], unknown: [] },
    ],
    [
      '1.109: its HTTP status is part of its word; a status it does not name is an upstream error',
      ['ev'],
      { ev: 0 },
      { ev: { status: 'exploded', http_status: 502 } },
      undefined,
      {
        down: [{ server: 'ev', words: 'the gateway says exploded (HTTP 502) — it answered the gateway with an error' }],
        unknown: [],
      },
    ],
    [
      '1.109: a server the gateway reported on as ok but with no tools is down too',
      ['ev'],
      { ev: 0 },
      { ev: { status: 'ok', tool_count: 0 } },
      undefined,
      { down: [{ server: 'ev', words: expect.stringMatching(/^the gateway says ok with no tools — /) }], unknown: [] },
    ],
    [
      '1.109: a name it reported nothing on (while it did on others) goes by its list',
      ['fs', 'nope'],
      { fs: 14, nope: 0 },
      { fs: { status: 'ok', tool_count: 14 } },
      ['fs', 'ev'],
      { down: [], unknown: ['nope'] },
    ],
    [
      'servers the gateway reported on that the entry does not name are not its business',
      ['fs'],
      { fs: 14 },
      { fs: { status: 'ok' }, ev: { status: 'internal' } },
      undefined,
      { down: [], unknown: [] },
    ],
    [
      'a name written twice is judged once',
      ['ev', 'ev'],
      { ev: 0 },
      {},
      ['ev'],
      {
        down: [{ server: 'ev', words: LISTED_NOTHING }],
        unknown: [],
      },
    ],
  ])('%s', (_name, named, per, outcomes, known, expected) => {
    expect(namedServers(named, per, outcomes, known && new Set(known))).toEqual(expected);
  });
});
