// How a person reads an mcp_call result's details (`mcpwatch probe`).
import { protocolLine, restLine } from '../details-lines.js';
import type { CallProbeDetails } from './details.js';

export function format(d: CallProbeDetails): string[] | undefined {
  if (!('text' in d)) return undefined;
  const { text, protocol, ...rest } = d;
  return [...protocolLine(protocol), `text:     ${text}`, ...restLine(rest)];
}
