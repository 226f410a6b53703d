// What an mcp_call probe reports about its run (`details` of its result).
import type { ProtocolFacts, RejectionDetails } from '../types.js';

/** mcp_call: what the tool returned. */
export interface CallDetails {
  tool: string;
  isError: boolean;
  textBytes: number;
  text: string;
  /** What the run spoke. */
  protocol?: ProtocolFacts;
}

/** mcp_call: tools/call answered with a JSON-RPC error (unknown tool, bad arguments). */
export interface CallRpcErrorDetails {
  jsonRpcError: number;
  protocol?: ProtocolFacts;
}

/** Any detail a call run reports. */
export type CallProbeDetails = CallDetails | CallRpcErrorDetails | RejectionDetails;
