// Pure: which of the guard's checks apply to its target, and what a config asks that cannot be checked.
import { rawKeyHeader, type TargetConfig } from '../../config/target.js';
import type { RawValue, SpecProblem } from '../probe-type.js';
import type { AuthCheck } from './schema.js';

/**
 * Checks across the guard and its target, on the values as written. With the key in another header than
 * Authorization, "no Bearer prefix" is not a check of the key (Authorization is the SSO token's), and
 * "no SSO token" needs an SSO gate (oauth2).
 */
export function crossCheck(p: RawValue, target: RawValue | undefined): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const checks = Array.isArray(p.checks) ? (p.checks as unknown[]) : [];
  const name = String(p.target);
  const keyHeader = target ? rawKeyHeader(target) : 'authorization';
  if (checks.includes('no_bearer_prefix') && keyHeader !== 'authorization') {
    problems.push({
      at: ['checks'],
      message:
        `no_bearer_prefix checks a key sent in Authorization without "Bearer "; target "${name}" sends its key ` +
        `in ${keyHeader} (apiKeyHeader), where LiteLLM 1.109 takes it with or without the prefix: ` +
        'leave the check out',
    });
  }
  if (checks.includes('no_sso_token') && target && target.oauth2 === undefined) {
    problems.push({
      at: ['checks'],
      message:
        `no_sso_token checks the SSO gate in front of a gateway; target "${name}" has none configured (oauth2): ` +
        "leave the check out, or set the target's oauth2",
    });
  }
  if (checks.includes('out_of_scope') && p.outOfScope === undefined) {
    problems.push({
      at: ['checks'],
      message:
        'out_of_scope calls a tool with a named key outside its grant: set outOfScope ' +
        '({ key: NAME, tool: TOOL, arguments: {...} }), or leave the check out',
    });
  }
  if (
    p.validKey !== false &&
    p.key === undefined &&
    target &&
    (target.apiKey === undefined || target.apiKey === '') &&
    target.apiKeyFile === undefined
  ) {
    problems.push({
      at: ['validKey'],
      message:
        `target "${name}" has no apiKey: the guard cannot check that a valid key is accepted ` +
        '(set validKey: false to skip that check)',
    });
  }
  return problems;
}

/**
 * The checks left for a target: each is left out of the default list where it does not apply (out_of_scope without
 * `outOfScope`).
 */
export function applicableChecks(
  checks: readonly AuthCheck[],
  t: TargetConfig | undefined,
  outOfScope = false,
): AuthCheck[] {
  return checks.filter(
    (c) =>
      (c !== 'no_bearer_prefix' || t?.apiKeyHeader === 'authorization') &&
      (c !== 'no_sso_token' || t?.oauth2 !== undefined) &&
      (c !== 'out_of_scope' || outOfScope),
  );
}
