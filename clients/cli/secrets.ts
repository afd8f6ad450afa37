import { VaultError, type Vault } from '../../lib/vault';

export interface SecretsDeps {
  vault: Vault;
  out: (line: string) => void;
  readStdin: () => Promise<string>;
  /** Source for `--from-env`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const USAGE = [
  'usage: ml-connector secrets <command>',
  '  set <ref> [--stdin | --from-env VAR]   store a credential (read from stdin by default)',
  '  list                                   refs, key ids and update times (never values)',
  '  delete <ref>                           remove a credential',
  '  rotate                                 re-encrypt everything with a new master key',
];

class UsageError extends Error {}

/**
 * `ml-connector secrets ...`. Values come from stdin or an environment variable, never from argv
 * (it would land in shell history), and are never printed. Returns the process exit code:
 * 0 done, 1 failed, 2 wrong usage.
 */
export async function secretsCommand(argv: string[], deps: SecretsDeps): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'set':
        return await set(rest, deps);
      case 'list':
        noArgs('list', rest);
        return await list(deps);
      case 'delete':
        return await remove(rest, deps);
      case 'rotate':
        noArgs('rotate', rest);
        return await rotate(deps);
      case undefined:
      case 'help':
      case '--help':
        USAGE.forEach((l) => deps.out(l));
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown secrets command "${sub}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      deps.out(`error: ${err.message}`);
      USAGE.forEach((l) => deps.out(l));
      return 2;
    }
    if (err instanceof VaultError) {
      deps.out(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function noArgs(command: string, rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`secrets ${command} takes no arguments`);
}

async function set(args: string[], deps: SecretsDeps): Promise<number> {
  let fromEnv: string | undefined;
  let stdin = false;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--stdin') stdin = true;
    else if (a === '--from-env') {
      fromEnv = args[++i];
      if (!fromEnv) throw new UsageError('--from-env needs a variable name');
    } else if (a.startsWith('--from-env=')) fromEnv = a.slice('--from-env='.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (fromEnv !== undefined && stdin) throw new UsageError('give either --stdin or --from-env, not both');
  const [ref, ...extra] = positional;
  if (!ref) throw new UsageError('secrets set needs a ref, e.g. secrets set carrier-demo.clientSecret');
  if (extra.length > 0) {
    // Deliberately not echoed: the extra word is most likely the secret itself.
    throw new UsageError(
      'secrets set takes no value on the command line (it would stay in shell history); pipe it on stdin or use --from-env VAR',
    );
  }

  let value: string;
  if (fromEnv !== undefined) {
    const v = (deps.env ?? process.env)[fromEnv];
    if (!v) {
      deps.out(`error: environment variable ${fromEnv} is not set or empty`);
      return 1;
    }
    value = v;
  } else {
    // One trailing newline is what `echo` or a here-string adds; it is not part of the secret.
    value = (await deps.readStdin()).replace(/\r?\n$/, '');
    if (value === '') {
      deps.out(
        'error: no value on stdin (pipe it in, e.g. printf %s "$SECRET" | ml-connector secrets set <ref>)',
      );
      return 1;
    }
  }
  await deps.vault.set(ref, value);
  deps.out(`stored ${ref} (master key ${deps.vault.currentKeyId})`);
  return 0;
}

async function list(deps: SecretsDeps): Promise<number> {
  const rows = await deps.vault.list();
  if (rows.length === 0) {
    deps.out('no credentials in the vault (add one with: ml-connector secrets set <ref>)');
    return 0;
  }
  const width = Math.max(3, ...rows.map((r) => r.ref.length));
  deps.out(`${'REF'.padEnd(width)}  ${'KEY'.padEnd(16)}  UPDATED`);
  for (const r of rows)
    deps.out(`${r.ref.padEnd(width)}  ${r.keyId.padEnd(16)}  ${r.updatedAt.toISOString()}`);
  return 0;
}

async function remove(args: string[], deps: SecretsDeps): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length > 0) throw new UsageError('secrets delete takes exactly one ref');
  if (await deps.vault.delete(ref)) {
    deps.out(`deleted ${ref}`);
    return 0;
  }
  deps.out(`error: no credential "${ref}" in the vault`);
  return 1;
}

async function rotate(deps: SecretsDeps): Promise<number> {
  const { vault } = deps;
  if (vault.keyStore?.source === 'file') {
    const { keyId, rows } = await vault.rotateKeyFile();
    deps.out(`new master key ${keyId} written to ${vault.keyStore.keyFile}; ${rows} row(s) re-encrypted`);
    deps.out(
      `the old key is kept in ${vault.keyStore.keyFile}.previous; restart running workers to pick up the new key`,
    );
    return 0;
  }
  // MLC_MASTER_KEY belongs to the operator's secret store: we cannot write it, only re-seal rows
  // with it once the operator has moved the old key to MLC_MASTER_KEY_PREVIOUS.
  if (vault.previousKeyCount > 0) {
    const rows = await vault.reseal();
    deps.out(
      `${rows} row(s) re-encrypted with master key ${vault.currentKeyId}; MLC_MASTER_KEY_PREVIOUS can now be removed`,
    );
    return 0;
  }
  [
    'the master key comes from MLC_MASTER_KEY, which this command cannot change. To rotate it:',
    '  1. set MLC_MASTER_KEY_PREVIOUS to the current MLC_MASTER_KEY value',
    '  2. set MLC_MASTER_KEY to a new key, e.g. the output of: openssl rand -base64 32',
    '  3. run ml-connector secrets rotate again to re-encrypt every row with the new key',
    '  4. remove MLC_MASTER_KEY_PREVIOUS',
  ].forEach((l) => deps.out(l));
  return 0;
}
