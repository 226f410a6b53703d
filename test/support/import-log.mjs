// Records the URL of every module resolved, one a line, to the file $IMPORT_LOG names:
// `IMPORT_LOG=FILE node --import ./test/support/import-log.mjs …` shows which packages a command loads.
import { appendFileSync } from 'node:fs';
import * as nodeModule from 'node:module';

const log = process.env.IMPORT_LOG;

if (nodeModule.registerHooks) {
  // Node >= 22.15: hooks in this thread (module.register is deprecated there).
  nodeModule.registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      appendFileSync(log, `${r.url}\n`);
      return r;
    },
  });
} else {
  const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
