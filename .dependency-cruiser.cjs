/**
 * The shape of src/, checked in `npm test` (test/architecture.test.ts): no import circles, and
 * every arrow points down. Layers, top to bottom:
 *   bin, cli/, main            entry points and wiring
 *   server/, mcp-tools/        the HTTP layer and the MCP tools: they see the agent only through their ports
 *   runtime/                   the agent's lifecycle and its pure views
 *   discovery/                 the gateways' server lists (targets' discover), read with a probe run's context
 *   metrics/, scheduler/       recorders; time
 *   correlate/                 log records set against probes: origin (guard marks), evidence of a failed run
 *   gateway-state/             the gateway itself: its containers' state (Docker), its version, files not yet loaded
 *   logs/                      log tailing
 *   config/                    the config file: its schema (joined from the probe types' own, through the
 *                              probe table), parse, load, shards, secrets, problems
 *   probes/                    the probe table, one folder per probe type, what types share (mcp/, net/, oauth/)
 *   gateway-config/            LiteLLM's own config.yaml and its checks (check-gateway, the report); beside cli/'s
 *                              other helpers, it asks the gateway through probes/net's request helpers
 *   clients/                   client config files and their checks (the client_config probe's and check-clients')
 *   config/ fields, target,    the config's building blocks, which the probe types' schemas use: they import
 *     duration                 nothing of the config above them, so the table never leads back to it
 *   util/, version             helpers that import nothing of ours
 * Type-only imports count: a circle through types is still a circle.
 */
const layer = (name, mayImport) => ({
  name: `layer-${name.replace(/[^a-z-]/g, '')}`,
  comment: `src/${name} may import only: ${mayImport.join(', ') || 'nothing of ours'}`,
  severity: 'error',
  from: { path: `^src/${name}` },
  to: { path: '^src/', pathNot: [`^src/${name}`, ...mayImport.map((m) => `^src/${m}`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'an import circle', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    layer('util/', []),
    layer('version', []),
    layer('config/', ['probes/table', 'util/']),
    // The config's building blocks sit below the probe types: nothing of the config above them.
    {
      name: 'layer-config-blocks',
      comment: 'src/config/{fields,target,duration} may import only: util/',
      severity: 'error',
      from: { path: '^src/config/(fields|target|duration)[.]ts$' },
      to: { path: '^src/', pathNot: ['^src/config/(fields|target|duration)[.]ts$', '^src/util/'] },
    },
    layer('probes/', ['clients/', 'config/fields', 'config/target', 'config/duration', 'util/', 'version']),
    layer('logs/', ['config/', 'util/']),
    layer('gateway-state/', ['logs/docker-source', 'logs/reconnect', 'probes/net/tls-options', 'config/', 'util/']),
    layer('correlate/', [
      'logs/',
      'probes/guard-marks',
      'probes/types',
      'probes/table',
      'probes/probe-type',
      'probes/auth-guard/schema',
      'config/',
      'util/',
    ]),
    layer('scheduler/', ['probes/', 'config/', 'util/']),
    // The gateways' server lists: read as a probe run talks to the gateway (a run's context), expanded (pure).
    layer('discovery/', ['scheduler/run-context', 'probes/', 'config/', 'util/']),
    layer('metrics/', [
      'correlate/',
      'gateway-state/',
      'logs/',
      'probes/types',
      'probes/table',
      'probes/probe-type',
      'config/',
      'util/',
      'version',
    ]),
    layer('runtime/', [
      'metrics/',
      'scheduler/',
      'discovery/',
      'correlate/',
      'gateway-state/',
      'logs/',
      'probes/',
      'config/',
      'util/',
      'version',
    ]),
    // The ports' types come from the runtime's views; the agent itself is never imported.
    layer('mcp-tools/', [
      'runtime/health-view',
      'runtime/status-view',
      'runtime/log-matches',
      'probes/types',
      'probes/table',
      'util/',
      'version',
    ]),
    layer('server/', [
      'mcp-tools/',
      'runtime/health-view',
      'runtime/status-view',
      'runtime/status-summary',
      'runtime/reload-plan',
      'runtime/log-matches',
      'metrics/exposition',
      'metrics/registry',
      'metrics/run-exposition',
      'probes/types',
      'probes/table',
      'config/problems',
      // the web config's types (web-gate.ts)
      'config/web-config',
      'util/',
      'version',
    ]),
    layer('clients/', ['config/fields', 'config/target', 'config/duration', 'util/']),
    // LiteLLM's own config.yaml: read, checked (pure), and set against the gateway's server list (--live).
    layer('gateway-config/', ['config/target', 'probes/net/requests', 'probes/net/tls-options', 'util/']),
    layer('cli/', [
      'main',
      // status: the types of the agent's /status and /health (type-only imports: nothing of the runtime loads), and
      // their summary (pure)
      'runtime/status-view',
      'runtime/health-view',
      'runtime/status-summary',
      'clients/',
      'gateway-config/',
      'scheduler/run',
      'scheduler/semaphore',
      'probes/oauth/token-source',
      'correlate/evidence',
      'correlate/guard',
      'correlate/window-matches',
      'logs/log-window',
      'gateway-state/snapshot',
      'gateway-state/gateway-view',
      'probes/types',
      'probes/table',
      'probes/details-lines',
      'probes/client-config/index',
      // accept-catalog: a pinned catalog probe's files in stateDir
      'probes/mcp-catalog/store',
      'config/',
      'util/',
      'version',
    ]),
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
