import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './agent-proc.js';
import { MASTER_KEY, startLiteLLM, type LiteLLM, type StartLiteLLMOptions } from './litellm.js';

// A REAL LiteLLM (1.110.2 unless told) with no database whose keys are scoped per key by LiteLLM's own `custom_auth`
// hook (general_settings.custom_auth): a Python module written here answers each key with a UserAPIKeyAuth whose
// object_permission lists the MCP servers the key may use, as a virtual key's does in the database. The grants are
// read from a JSON file on every request, so a test changes them between runs. With custom_auth set, the master key
// goes through the hook too: it stays the admin. Used by scoped-keys and key-views (issue 27).

export const SCOPED_VERSION = '1.110.2';

const HOOK = `# custom_auth for mcpwatch's tests: each key's MCP servers from a JSON file read on every request.
import json
import os

from litellm.proxy._types import LiteLLM_ObjectPermissionTable, LitellmUserRoles, UserAPIKeyAuth


async def user_api_key_auth(request, api_key):
    key = api_key[7:] if api_key.lower().startswith("bearer ") else api_key
    # With custom_auth set, the master key goes through this hook too: it stays the admin.
    if key == os.environ["MCPWATCH_TEST_MASTER"]:
        return UserAPIKeyAuth(api_key=key, user_role=LitellmUserRoles.PROXY_ADMIN)
    with open(os.environ["MCPWATCH_TEST_GRANTS"]) as f:
        grants = json.load(f)
    if key not in grants:
        raise Exception("unknown key")
    return UserAPIKeyAuth(
        api_key=key,
        key_alias="scoped",
        object_permission=LiteLLM_ObjectPermissionTable(
            object_permission_id="perm-" + str(abs(hash(key)) % 100000), mcp_servers=grants[key]
        ),
    )
`;

export interface ScopedLiteLLM {
  gw: LiteLLM;
  /** A temp folder of the test's (the hook, the grants, key files). */
  dir: string;
  /** Sets every key's grant (key → the MCP servers it may use); a key not listed is refused. */
  grant(grants: Readonly<Record<string, readonly string[]>>): void;
  /** Writes a key into a file of `dir` (with a trailing newline, as a compose secret); its path. */
  keyFile(name: string, key: string): string;
}

/** Starts the scoped LiteLLM with the grants given (more of its config and environment through `opts`). */
export async function startScopedLiteLLM(
  grants: Readonly<Record<string, readonly string[]>>,
  opts: Omit<StartLiteLLMOptions, 'masterKey'> = {},
): Promise<ScopedLiteLLM> {
  const dir = tempDir('mcpwatch-scoped-');
  writeFileSync(join(dir, 'scoped_auth.py'), HOOK);
  const grantsFile = join(dir, 'grants.json');
  const grant = (g: Readonly<Record<string, readonly string[]>>): void => writeFileSync(grantsFile, JSON.stringify(g));
  grant(grants);
  const general = (opts.config?.general_settings ?? {}) as Record<string, unknown>;
  const gw = await startLiteLLM({
    version: SCOPED_VERSION,
    ...opts,
    config: { ...opts.config, general_settings: { ...general, custom_auth: 'scoped_auth.user_api_key_auth' } },
    env: { ...opts.env, PYTHONPATH: dir, MCPWATCH_TEST_GRANTS: grantsFile, MCPWATCH_TEST_MASTER: MASTER_KEY },
  });
  const keyFile = (name: string, key: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `${key}\n`);
    return path;
  };
  return { gw, dir, grant, keyFile };
}
