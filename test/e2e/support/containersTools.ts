// Shared setup for the containers/* clients (skopeo, podman, buildah): private storage and
// private config files, so that nothing reads or writes the machine's /var/lib/containers,
// /etc/containers or /run/containers. That includes the auth file `podman login` and
// `buildah login` write (REGISTRY_AUTH_FILE, and --authfile on the login itself).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Credentials } from './auth.js';
import { run, type RunResult } from './run.js';

export interface ContainersEnv {
  /** Environment for every containers/* client call. */
  env: Record<string, string>;
  policy: string;
  /** The private auth file (also REGISTRY_AUTH_FILE in `env`), written by `login`. */
  authFile: string;
  /** Global podman/buildah flags selecting the private storage. */
  storageFlags: string[];
}

export async function containersEnv(dir: string): Promise<ContainersEnv> {
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const policy = path.join(dir, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const registries = path.join(dir, 'registries.conf');
  // No search registries: a short name must never send a request anywhere.
  await writeFile(registries, 'unqualified-search-registries = []\nshort-name-mode = "enforcing"\n');
  const auth = path.join(dir, 'auth.json');
  await writeFile(auth, '{"auths":{}}\n');
  const containersConf = path.join(dir, 'containers.conf');
  // No systemd or journald here; cgroupfs and a file event log work anywhere.
  await writeFile(
    containersConf,
    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' +
      `events_logfile_path = "${path.join(dir, 'events.log')}"\n` +
      `tmp_dir = "${path.join(dir, 'tmp')}"\n[network]\nnetwork_config_dir = "${path.join(dir, 'cni')}"\n`,
  );
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'runroot');
  const storageConf = path.join(dir, 'storage.conf');
  await writeFile(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${root}"\nrunroot = "${runroot}"\n`);
  return {
    env: {
      CONTAINERS_REGISTRIES_CONF: registries,
      CONTAINERS_CONF: containersConf,
      CONTAINERS_STORAGE_CONF: storageConf,
      REGISTRY_AUTH_FILE: auth,
      TMPDIR: path.join(dir, 'tmp'),
    },
    policy,
    authFile: auth,
    storageFlags: ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs'],
  };
}

export const debugClients = process.env.BERTH_E2E_DEBUG === '1';

export interface ClientRunOptions {
  cwd?: string;
  input?: string;
  /** Return a failed result instead of throwing (to check refusals). */
  allowFailure?: boolean;
}

export type ClientRunner = (args: string[], opts?: ClientRunOptions) => Promise<RunResult>;

/** skopeo with the private policy and config; `--debug` (HTTP traces) when BERTH_E2E_DEBUG=1. */
export function skopeoRunner(bin: string, cenv: ContainersEnv): ClientRunner {
  return (args, opts = {}) => run(bin, [...(debugClients ? ['--debug'] : []), '--policy', cenv.policy, ...args], { env: cenv.env, ...opts });
}

/** podman or buildah on the private storage; `--log-level=debug` when BERTH_E2E_DEBUG=1. */
export function storageToolRunner(bin: string, cenv: ContainersEnv, extraGlobal: string[] = []): ClientRunner {
  return (args, opts = {}) =>
    run(bin, [...cenv.storageFlags, ...extraGlobal, ...(debugClients ? ['--log-level=debug'] : []), ...args], {
      env: cenv.env,
      ...opts,
    });
}

/**
 * `podman login` / `buildah login` over plain HTTP into the private auth file; later
 * pushes and pulls of that runner find the credentials there (REGISTRY_AUTH_FILE).
 */
export function containersLogin(tool: ClientRunner, cenv: ContainersEnv, host: string, c: Credentials): Promise<RunResult> {
  return tool(['login', '--tls-verify=false', '--authfile', cenv.authFile, '--username', c.username, '--password-stdin', host], { input: c.password });
}

/** Extra podman flags: its libpod state, cgroup manager and event log, all private. */
export function podmanGlobals(dir: string): string[] {
  return ['--tmpdir', path.join(dir, 'tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
}
