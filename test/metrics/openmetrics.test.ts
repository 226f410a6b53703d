import { describe, expect, it } from 'vitest';
import { toOpenMetrics } from '../../src/metrics/openmetrics.js';
import { wantsOpenMetrics } from '../../src/server/routes/metrics.js';

describe('toOpenMetrics', () => {
  it('renames counter families, maps untyped, drops blank lines and ends with # EOF', () => {
    const prom = [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{x="1"} 3',
      '',
      '# HELP b Plain counter.',
      '# TYPE b counter',
      'b 1',
      'b_created 2',
      '',
      '# HELP c Gauge.',
      '# TYPE c gauge',
      'c 1',
      '# HELP d Untyped.',
      '# TYPE d untyped',
      'd 0',
      '',
    ].join('\n');
    expect(toOpenMetrics(prom)).toBe(
      [
        '# HELP a Things.',
        '# TYPE a counter',
        'a_total{x="1"} 3',
        '# HELP b Plain counter.',
        '# TYPE b counter',
        'b_total 1',
        'b_created 2',
        '# HELP c Gauge.',
        '# TYPE c gauge',
        'c 1',
        '# HELP d Untyped.',
        '# TYPE d unknown',
        'd 0',
        '# EOF',
        '',
      ].join('\n'),
    );
  });
  it.each([
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      true,
    ],
    ['text/plain', false],
    [undefined, false],
    ['*/*', false],
    ['text/plain;q=1, application/openmetrics-text;q=0.5', false],
  ])('Accept %j wants OpenMetrics: %s', (accept, want) => expect(wantsOpenMetrics(accept)).toBe(want));
});
