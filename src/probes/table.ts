import type { ProbeConfig, ProbeType } from '../config/schema.js';
import { httpProbe } from './http.js';
import type { ProbeFn } from './types.js';

type ProbeTable = { [K in ProbeType]: ProbeFn<Extract<ProbeConfig, { type: K }>> };

/** One probe function per type. */
export const PROBES: Partial<ProbeTable> = {
  http: httpProbe,
};
