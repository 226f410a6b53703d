// What an auth_guard probe reports about its run (`details` of its result).
import type { ProtocolFacts, RejectionDetails } from '../types.js';
import type { AuthCheck } from './schema.js';

/** The guard's rejection checks, and `valid_key` (the real key must be accepted). */
export type GuardCheck = AuthCheck | 'valid_key';

export interface CheckResult {
  /** For the rejection checks: true when the gateway refused the request. Unset when it could not be told. */
  enforced?: boolean;
  /** For valid_key: true when the real key opened a session. */
  accepted?: boolean;
  status?: number;
  reason: string;
}

/** auth_guard: each check's verdict. */
export interface GuardDetails {
  authChecks: Partial<Record<GuardCheck, CheckResult>>;
  /** What the sessions that got through spoke. */
  protocol?: ProtocolFacts;
}

/** Any detail a guard run reports. */
export type GuardProbeDetails = GuardDetails | RejectionDetails;
