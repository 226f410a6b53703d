import { describe, expect, it } from 'vitest';
import {
  canonicalHost,
  canonicalOrigin,
  hostMatches,
  isLoopbackAddress,
  isLoopbackOriginOf,
} from '../../src/util/origins.js';

describe('canonicalOrigin', () => {
  it.each([
    ['http://localhost:9464', 'http://localhost:9464'],
    ['HTTP://LocalHost:9464/', 'http://localhost:9464'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['http://[::1]:9464', 'http://[::1]:9464'],
    ['vscode-webview://abc123', 'vscode-webview://abc123'],
    ['null', 'null'],
  ])('%s → %s', (input, out) => expect(canonicalOrigin(input)).toBe(out));

  it.each([
    '',
    'localhost',
    'http://localhost/mcp',
    'http://localhost?x=1',
    'http://user@localhost',
    'http://a b',
    'http://localhost:0',
    'http://localhost:70000',
    'http://evil.com, http://localhost',
  ])('refuses %j', (input) => expect(canonicalOrigin(input)).toBeUndefined());
});

describe('canonicalHost and hostMatches', () => {
  it('parses names, addresses and ports', () => {
    expect(canonicalHost('LocalHost')).toEqual({ name: 'localhost' });
    expect(canonicalHost('localhost.:80')).toEqual({ name: 'localhost', port: 80 });
    expect(canonicalHost('[::1]:9464')).toEqual({ name: '[::1]', port: 9464 });
    expect(canonicalHost('127.0.0.1')).toEqual({ name: '127.0.0.1' });
    for (const bad of ['', 'http://x', 'a/b', 'a:99999', 'a:', '::1', 'a b'])
      expect(canonicalHost(bad), bad).toBeUndefined();
  });

  it('an entry without a port matches any port; with one, only it', () => {
    const req = canonicalHost('localhost:9464')!;
    expect(hostMatches(canonicalHost('localhost')!, req)).toBe(true);
    expect(hostMatches(canonicalHost('localhost:9464')!, req)).toBe(true);
    expect(hostMatches(canonicalHost('localhost:9465')!, req)).toBe(false);
    expect(hostMatches(canonicalHost('localhost:9464')!, canonicalHost('localhost')!)).toBe(false);
    expect(hostMatches(canonicalHost('evil.localhost')!, req)).toBe(false);
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (a) => {
    expect(isLoopbackAddress(a)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', 'localhost', ''])('%j is not', (a) => {
    expect(isLoopbackAddress(a)).toBe(false);
  });
});

describe('isLoopbackOriginOf', () => {
  it('a canonical http(s) origin naming a loopback host on the port', () => {
    expect(isLoopbackOriginOf('http://localhost:9464', 9464)).toBe(true);
    expect(isLoopbackOriginOf('https://127.0.0.1:9464', 9464)).toBe(true);
    expect(isLoopbackOriginOf('http://[::1]:9464', 9464)).toBe(true);
    // The scheme's default port when the origin names none.
    expect(isLoopbackOriginOf('http://localhost', 80)).toBe(true);
    expect(isLoopbackOriginOf('https://localhost', 443)).toBe(true);
    expect(isLoopbackOriginOf('http://localhost', 9464)).toBe(false);
    expect(isLoopbackOriginOf('http://localhost:9465', 9464)).toBe(false);
    expect(isLoopbackOriginOf('http://evil.example.com:9464', 9464)).toBe(false);
    expect(isLoopbackOriginOf('http://localhost.example.com:9464', 9464)).toBe(false);
    expect(isLoopbackOriginOf('ftp://localhost:9464', 9464)).toBe(false);
    expect(isLoopbackOriginOf('null', 9464)).toBe(false);
  });
});
