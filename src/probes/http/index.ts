// The http probe type: a plain HTTP request to the target, its status and body checked.
import { lazyRun, type ProbeTypeDef } from '../probe-type.js';
import type { HttpDetails } from './details.js';
import { schema } from './schema.js';

export const http = {
  schema,
  run: lazyRun(() => import('./run.js')),
  ownHeaders: (spec) => spec.headers,
  // One request a run: Node's own http on a connection of its own (see docs/performance.md).
  freshConnection: true,
} satisfies ProbeTypeDef<typeof schema, HttpDetails>;
