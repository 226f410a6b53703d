import { describe, expect, it } from 'vitest';
import {
  chooseVersion,
  cleanVersion,
  versionFromImage,
  versionFromOpenapi,
  versionFromReadiness,
} from '../../src/gateway-state/build-version.js';

describe('versions', () => {
  it.each([
    ['1.77.1', '1.77.1'],
    ['v1.82.7', '1.82.7'],
    ['1.80.0.dev1', '1.80.0.dev1'],
    ['1.74.3rc1', '1.74.3rc1'],
    ['latest', undefined],
    ['1.2', undefined],
    ['1.2.3"} ,evil', undefined],
    [42, undefined],
  ])('cleanVersion(%j) = %j', (v, want) => {
    expect(cleanVersion(v)).toBe(want);
  });

  it('readiness: litellm_version (LiteLLM 1.77) or nothing (1.109 without details)', () => {
    expect(versionFromReadiness({ status: 'healthy', db: 'Not connected', litellm_version: '1.77.1' })).toBe('1.77.1');
    expect(versionFromReadiness({ status: 'healthy', db: 'Not connected' })).toBeUndefined();
    expect(versionFromReadiness('healthy')).toBeUndefined();
  });

  it('openapi: info.version of a LiteLLM document, from its start', () => {
    const head =
      '{"openapi":"3.1.0","info":{"title":"LiteLLM API","description":"Proxy Server","version":"1.109.1"},"paths":{';
    expect(versionFromOpenapi(head)).toBe('1.109.1');
    expect(versionFromOpenapi(head.replace('LiteLLM API', 'Other API'))).toBeUndefined();
    expect(versionFromOpenapi('{"openapi":"3.1.0","info":{"title":"LiteLLM API"')).toBeUndefined();
  });

  it.each([
    ['ghcr.io/berriai/litellm:main-v1.77.1-stable', {}, '1.77.1'],
    ['ghcr.io/berriai/litellm:v1.82.8', {}, '1.82.8'],
    ['litellm/litellm:1.109.1', {}, '1.109.1'],
    ['registry:5000/litellm:main-latest', {}, undefined],
    ['registry:5000/litellm', {}, undefined],
    ['litellm:latest', { 'org.opencontainers.image.version': '1.77.1' }, '1.77.1'],
    ['litellm@sha256:abcd', {}, undefined],
  ])('image %s %j → %s', (image, labels, want) => {
    expect(versionFromImage(image, labels)).toBe(want);
  });

  it('chooseVersion: the gateway now, else what it said last, else the image', () => {
    const said = { version: '1.77.1', source: 'readiness' as const };
    expect(chooseVersion(said, undefined, '1.0.0')).toEqual(said);
    expect(chooseVersion(undefined, said, '1.0.0')).toEqual(said);
    expect(chooseVersion(undefined, undefined, '1.0.0')).toEqual({ version: '1.0.0', source: 'image' });
    expect(chooseVersion(undefined, undefined, undefined)).toBeUndefined();
  });
});
