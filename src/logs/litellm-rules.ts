import type { ContainerConfig } from '../config/schema.js';
import type { LogRecord } from './records.js';
import { extraRule, RuleSet, type Rule } from './rules.js';

/**
 * The built-in `litellm` rule set, from LiteLLM's message templates (litellm/proxy/auth/
 * user_api_key_auth.py, the MCP server manager and handlers) as seen in real 1.77 and 1.10x logs
 * (test/fixtures/litellm).
 */

export const AUTH_KINDS = [
  'missing_key',
  'malformed_key',
  'invalid_key',
  'expired_key',
  'blocked_key',
  'no_db',
  'admin_only_route',
  'tool_not_allowed',
  'auth_other',
] as const;
export const MCP_KINDS = [
  'upstream_list_failed',
  'upstream_call_failed',
  'tool_not_found',
  'request_failed',
  'deprecated_auth_header',
  'rate_limited',
  'tool_call_refused',
] as const;
export const HTTP_STATUSES_COUNTED = (status: number): boolean =>
  status === 401 || status === 403 || status === 429 || status >= 500;

// `litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - <message>` (sic: "occured").
const AUTH_FAILURE = /user_api_key_auth\(\): Exception occurr?ed - ?(.*)$/m;
const AUTH_KIND: Array<[RegExp, (typeof AUTH_KINDS)[number]]> = [
  [/No api key passed in/i, 'missing_key'],
  [/Malformed API Key|Virtual Key expected/i, 'malformed_key'],
  [/Expired Key/i, 'expired_key'],
  [/Key is blocked/i, 'blocked_key'],
  [/No connected db/i, 'no_db'],
  [/only for MASTER KEY|Tried to access route=/i, 'admin_only_route'],
  [/Invalid proxy server token|Unable to find token|Invalid API Key|invalid (?:user )?key/i, 'invalid_key'],
];

/** The server a message names after its opening words, quoted or not (the rules' first group). */
const SERVER = String.raw`'?([\w.-]+?)'?(?::|$|\s)`;
const LIST_FAILED_OPENINGS = [
  'Error listing tools from',
  'Timeout while listing tools from',
  'Connection error while listing tools from',
  'Task cancelled while listing tools from',
  'Failed to get tools from server',
  'Error getting tools from server',
];
const LIST_FAILED = new RegExp(
  [
    `(?:${LIST_FAILED_OPENINGS.join('|')}) ${SERVER}`,
    'MCP client list_tools failed',
    'Error in list_tools endpoint',
  ].join('|'),
);
/**
 * A call to a tool the gateway does not know (LiteLLM 1.108+): a client's wrong name, or a tool of a server that is
 * down (1.108+ answers those alike). No upstream failed: counted apart from upstream_call_failed.
 */
const TOOL_NOT_FOUND = /MCP mcp_server_tool_call - error: Tool \S+ not found/;
const CALL_FAILED = new RegExp(`MCP mcp_server_tool_call - error|Client operation failed for ${SERVER}`);
const DEPRECATED_HEADER = /The '[^']+' header is deprecated/;
/**
 * A tool call the gateway refused itself (`HTTPException in MCP tool call: <status>: <detail>`, 1.77 to 1.110):
 * 403 "User not allowed to call this tool." is per-key scoping (the key's grant leaves the tool's server out), 429 a
 * rate limit (a server's `rpm`, a key's), anything else another refusal. The client gets a 200 with an error result.
 */
const TOOL_CALL_REFUSED = /HTTPException in MCP tool call: (\d{3}): ?(.*)$/m;
const REQUEST_FAILED = /Error handling MCP request/;
const SDK_REQUEST_FAILED = /No response message received before stream closed|Stateless session crashed/;
// An "Error handling MCP request" whose cause is an auth failure: already counted as auth.
const AUTH_CAUSE = new RegExp(
  [
    'user_api_key_auth',
    'ProxyException',
    'Malformed API Key',
    'No api key passed',
    'No connected db',
    'Authentication Error',
    'authentication_required',
  ].join('|'),
);

function fromLiteLLM(rec: LogRecord): boolean {
  return rec.kind === 'litellm' || rec.kind === 'json' || rec.kind === 'echo';
}

/** The status of a tool call LiteLLM refused itself (TOOL_CALL_REFUSED), if the record is one. */
function refusalStatus(rec: LogRecord): string | undefined {
  return fromLiteLLM(rec) ? TOOL_CALL_REFUSED.exec(rec.message)?.[1] : undefined;
}

/** An upstream MCP failure LiteLLM logs, naming the server when the message does (its first group). */
function upstreamRule(name: string, pattern: RegExp, kind: string): Rule {
  return {
    name,
    category: 'mcp',
    when: 'start',
    match(rec) {
      if (!fromLiteLLM(rec)) return undefined;
      const m = pattern.exec(rec.message);
      return m ? { kind, ...(m[1] && { server: m[1] }) } : undefined;
    },
  };
}

export function litellmRules(): Rule[] {
  return [
    {
      // The first line names the failure; the match waits only for the `Requester IP Address:`
      // line written with it (who it was: the origin attribution uses it), not for the
      // traceback to end, so it is counted as soon as that line is read.
      name: 'litellm_auth',
      category: 'auth',
      when: 'requester',
      match(rec) {
        if (!fromLiteLLM(rec) || !rec.message.includes('Exception occ')) return undefined;
        const m = AUTH_FAILURE.exec(rec.message);
        if (!m) return undefined;
        const detail = m[1] ?? '';
        for (const [re, kind] of AUTH_KIND) if (re.test(detail)) return { kind };
        // 1.77 logs some refusals (a wrong key without a database) with an empty message.
        return { kind: 'auth_other' };
      },
    },
    {
      name: 'litellm_mcp_tool_not_allowed',
      category: 'auth',
      when: 'start',
      match: (rec) => (refusalStatus(rec) === '403' ? { kind: 'tool_not_allowed' } : undefined),
    },
    {
      name: 'litellm_mcp_tool_call_refused',
      category: 'mcp',
      when: 'start',
      match(rec) {
        const status = refusalStatus(rec);
        if (status === undefined || status === '403') return undefined;
        return { kind: status === '429' ? 'rate_limited' : 'tool_call_refused' };
      },
    },
    {
      name: 'litellm_mcp_deprecated_header',
      category: 'mcp',
      when: 'start',
      match: (rec) =>
        fromLiteLLM(rec) && DEPRECATED_HEADER.test(rec.message) ? { kind: 'deprecated_auth_header' } : undefined,
    },
    upstreamRule('litellm_mcp_upstream_list', LIST_FAILED, 'upstream_list_failed'),
    upstreamRule('litellm_mcp_tool_not_found', TOOL_NOT_FOUND, 'tool_not_found'),
    upstreamRule('litellm_mcp_upstream_call', CALL_FAILED, 'upstream_call_failed'),
    {
      name: 'mcp_sdk_request_failed',
      category: 'mcp',
      when: 'start',
      match: (rec) =>
        rec.kind === 'python' && SDK_REQUEST_FAILED.test(rec.message) ? { kind: 'request_failed' } : undefined,
    },
    {
      // Decided when the record ends: its traceback tells an auth failure from an MCP one.
      name: 'litellm_mcp_request',
      category: 'mcp',
      when: 'end',
      match: (rec) =>
        fromLiteLLM(rec) && REQUEST_FAILED.test(rec.message) && !AUTH_CAUSE.test(rec.text)
          ? { kind: 'request_failed' }
          : undefined,
    },
    {
      name: 'uvicorn_access',
      category: 'http',
      when: 'start',
      match: (rec) =>
        rec.http && HTTP_STATUSES_COUNTED(rec.http.status) ? { kind: String(rec.http.status) } : undefined,
    },
  ];
}

/** A container's rules: its extra rules first (more specific), then the built-in sets it names. */
export function containerRules(c: Pick<ContainerConfig, 'rules' | 'extraRules'>): RuleSet {
  return new RuleSet([...c.extraRules.map(extraRule), ...(c.rules.includes('litellm') ? litellmRules() : [])]);
}
