// The auth_guard probe type: requests the gateway must refuse (no key, no `Bearer ` prefix, a wrong key,
// no SSO token, a named key calling a tool outside its grant) and, optionally, the real key it must accept.
import { lazyRun, type ProbeTypeDef } from '../probe-type.js';
import { applicableChecks, crossCheck } from './checks.js';
import type { GuardProbeDetails } from './details.js';
import { format } from './format.js';
import { schema } from './schema.js';
import { series } from './series.js';

export const authGuard = {
  schema,
  crossCheck,
  settle: (spec, target) => ({
    ...spec,
    checks: applicableChecks(spec.checks, target, spec.outOfScope !== undefined),
  }),
  run: lazyRun(() => import('./run.js')),
  ownHeaders: (spec) => spec.headers,
  series,
  format,
  subject: (spec) => ({ servers: [...(spec.servers ?? [])], others: [], guard: true }),
  // Its requests are marked, and only the process that sent them tells their auth errors apart.
  provokesAuthErrors: true,
} satisfies ProbeTypeDef<typeof schema, GuardProbeDetails>;
