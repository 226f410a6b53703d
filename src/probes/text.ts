import { STATUS_CODES } from 'node:http';

/** `404 Not Found`. */
export function statusText(status: number): string {
  return `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
}

/** Checks text against `contains` / `matches`; undefined when it passes. */
export function checkText(
  text: string,
  expect: { contains?: string | undefined; matches?: string | undefined },
  what: string,
): string | undefined {
  if (expect.contains !== undefined && !text.includes(expect.contains)) {
    return `${what} does not contain ${JSON.stringify(expect.contains)}${excerptSuffix(text)}`;
  }
  if (expect.matches !== undefined && !new RegExp(expect.matches).test(text)) {
    return `${what} does not match /${expect.matches}/${excerptSuffix(text)}`;
  }
  return undefined;
}

/** A short, single-line excerpt of a body for reasons. */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function excerptSuffix(text: string): string {
  return text.trim() === '' ? ' (empty)' : `: got ${JSON.stringify(excerpt(text, 80))}`;
}

/** `MCP error -32602: Tool x not found` → `Tool x not found` (the SDK prefixes JSON-RPC errors, sometimes twice). */
export function stripMcpErrorPrefix(message: string): string {
  return message.replace(/^(MCP error -?\d+: )+/, '');
}
