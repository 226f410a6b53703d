import { describe, expect, it } from 'vitest';
import { listenerOf, refuseWebRequest, type Listener } from '../../src/server/web-guard.js';

// DNS-rebinding protection for every route, pure: which Origin and Host a request may show, from the
// `web` lists and where the server listens. The hook that applies it to every route is tested through
// the app (test/server/app.test.ts), and against a real agent in test/integration/web-guard.test.ts.

const none = { allowedOrigins: [], allowedHosts: [] };
const onLoopback: Listener = { loopbackPort: 9464 };
const anywhere: Listener = {};

type Case = [
  what: string,
  rules: { allowedOrigins: string[]; allowedHosts: string[] },
  headers: { origin?: string; host?: string },
  listener: Listener,
  refused: string | undefined,
];

const originRefused = (o: string): string => `Forbidden: Origin ${JSON.stringify(o)} is not in web.allowedOrigins`;
const hostNotListed = (h: string): string => `Forbidden: Host ${JSON.stringify(h)} is not in web.allowedHosts`;
const hostNotLoopback = (h: string): string =>
  `Forbidden: Host ${JSON.stringify(h)} is not a loopback name, and mcpwatch listens on a loopback address ` +
  '(a name that resolves to it from elsewhere is a DNS-rebinding attack, or a proxy: list it in web.allowedHosts)';

const CASES: Case[] = [
  // Requests without Origin: Prometheus, curl, MCP clients, a browser's same-origin GET.
  ['no Origin, any Host, listening on 0.0.0.0, no lists', none, { host: 'mcpwatch:9464' }, anywhere, undefined],
  ['no Origin and no Host (HTTP/1.0)', none, {}, onLoopback, undefined],
  ['a loopback Host on loopback', none, { host: '127.0.0.1:9464' }, onLoopback, undefined],
  ['localhost on another port (a port forward) on loopback', none, { host: 'localhost:8080' }, onLoopback, undefined],
  ['[::1] on loopback', none, { host: '[::1]:9464' }, onLoopback, undefined],
  [
    'a rebound name on loopback (no Origin: a same-origin GET)',
    none,
    { host: 'evil.example.com:9464' },
    onLoopback,
    hostNotLoopback('evil.example.com:9464'),
  ],
  [
    'a LAN address as Host of a server on loopback (only a proxy sends one)',
    none,
    { host: '10.0.0.5:9464' },
    onLoopback,
    hostNotLoopback('10.0.0.5:9464'),
  ],
  [
    'a rebound name when allowedHosts is set',
    { ...none, allowedHosts: ['mcpwatch.example.com'] },
    { host: 'evil.example.com:9464' },
    anywhere,
    hostNotListed('evil.example.com:9464'),
  ],
  [
    'a listed Host, any port (the entry names none)',
    { ...none, allowedHosts: ['mcpwatch.example.com'] },
    { host: 'MCPWATCH.example.com:1234' },
    anywhere,
    undefined,
  ],
  [
    'a listed Host on another port than its entry',
    { ...none, allowedHosts: ['mcpwatch.example.com:9464'] },
    { host: 'mcpwatch.example.com:9465' },
    anywhere,
    hostNotListed('mcpwatch.example.com:9465'),
  ],
  [
    'a loopback Host passes a list that does not name it (local health checks, mcpwatch status)',
    { ...none, allowedHosts: ['mcpwatch.example.com'] },
    { host: '127.0.0.1:9464' },
    anywhere,
    undefined,
  ],
  [
    'no Host while allowedHosts is set',
    { ...none, allowedHosts: ['mcpwatch.example.com'] },
    {},
    anywhere,
    hostNotListed(''),
  ],
  // Origin: what a browser shows on a cross-site request or a POST.
  [
    'a foreign Origin, no lists, 0.0.0.0',
    none,
    { origin: 'http://evil.example.com', host: 'mcpwatch:9464' },
    anywhere,
    originRefused('http://evil.example.com'),
  ],
  [
    'a foreign Origin on loopback with a loopback Host (a cross-site request to localhost)',
    none,
    { origin: 'https://evil.example.com', host: 'localhost:9464' },
    onLoopback,
    originRefused('https://evil.example.com'),
  ],
  [
    'a rebound page POSTing to its own name: Origin first',
    none,
    { origin: 'http://evil.example.com:9464', host: 'evil.example.com:9464' },
    onLoopback,
    originRefused('http://evil.example.com:9464'),
  ],
  [
    'a rebound page on 0.0.0.0 with no lists: its name is no IP, so not the server own origin',
    none,
    { origin: 'http://evil.example.com:9464', host: 'evil.example.com:9464' },
    anywhere,
    originRefused('http://evil.example.com:9464'),
  ],
  [
    'Origin null (a sandboxed page)',
    none,
    { origin: 'null', host: 'localhost:9464' },
    onLoopback,
    originRefused('null'),
  ],
  ['an empty Origin', none, { origin: '', host: 'localhost:9464' }, onLoopback, originRefused('')],
  [
    'an Origin that is not one',
    none,
    { origin: 'http://localhost:9464/x', host: 'localhost:9464' },
    onLoopback,
    originRefused('http://localhost:9464/x'),
  ],
  [
    "the server's loopback origin on loopback (its own page), whatever the Host",
    none,
    { origin: 'http://[::1]:9464', host: 'localhost:9464' },
    onLoopback,
    undefined,
  ],
  [
    'a loopback origin of another port (another local program)',
    none,
    { origin: 'http://localhost:3000', host: 'localhost:9464' },
    onLoopback,
    originRefused('http://localhost:3000'),
  ],
  [
    "the server's own origin by IP address on 0.0.0.0 (its own page, opened as http://10.0.0.5:9464)",
    none,
    { origin: 'http://10.0.0.5:9464', host: '10.0.0.5:9464' },
    anywhere,
    undefined,
  ],
  [
    'an IP origin of another port than the Host',
    none,
    { origin: 'http://10.0.0.5:8080', host: '10.0.0.5:9464' },
    anywhere,
    originRefused('http://10.0.0.5:8080'),
  ],
  [
    'the default port on both sides (http://10.0.0.5 and Host 10.0.0.5)',
    none,
    { origin: 'http://10.0.0.5', host: '10.0.0.5' },
    anywhere,
    undefined,
  ],
  [
    'https on its default port against a Host naming 443',
    none,
    { origin: 'https://[fd00::5]', host: '[fd00::5]:443' },
    anywhere,
    undefined,
  ],
  [
    "a listed Host's own origin (its own page by name)",
    { ...none, allowedHosts: ['mcpwatch.example.com'] },
    { origin: 'https://mcpwatch.example.com', host: 'mcpwatch.example.com' },
    anywhere,
    undefined,
  ],
  [
    'a listed origin, canonical forms compared',
    { ...none, allowedOrigins: ['https://grafana.example.com'] },
    { origin: 'HTTPS://Grafana.Example.com:443', host: 'mcpwatch:9464' },
    anywhere,
    undefined,
  ],
  [
    'once origins are listed, the loopback origin is no longer implied',
    { ...none, allowedOrigins: ['https://grafana.example.com'] },
    { origin: 'http://localhost:9464', host: '127.0.0.1:9464' },
    onLoopback,
    originRefused('http://localhost:9464'),
  ],
  [
    'a listed origin with a Host that is not listed: the Host decides',
    { allowedOrigins: ['https://grafana.example.com'], allowedHosts: ['mcpwatch.example.com'] },
    { origin: 'https://grafana.example.com', host: 'evil.example.com' },
    anywhere,
    hostNotListed('evil.example.com'),
  ],
];

describe('refuseWebRequest', () => {
  it.each(CASES)('%s', (_what, rules, headers, listener, refused) => {
    const r = refuseWebRequest(rules, headers, listener);
    expect(r).toEqual(refused === undefined ? undefined : { status: 403, message: refused });
  });

  it('clips a long header in its message', () => {
    const origin = `http://${'a'.repeat(300)}.example.com`;
    expect(refuseWebRequest(none, { origin }, anywhere)?.message).toBe(originRefused(`${origin.slice(0, 200)}…`));
  });
});

describe('listenerOf', () => {
  it.each([
    [{ address: '127.0.0.1', family: 'IPv4', port: 9464 }, { loopbackPort: 9464 }],
    [{ address: '::1', family: 'IPv6', port: 9 }, { loopbackPort: 9 }],
    [{ address: '0.0.0.0', family: 'IPv4', port: 9464 }, {}],
    [{ address: '::', family: 'IPv6', port: 9464 }, {}],
    [null, {}],
    ['/tmp/mcpwatch.sock', {}],
  ])('%j → %j', (address, listener) => {
    expect(listenerOf(address)).toEqual(listener);
  });
});
