// The registry under test. Normally Berth (the built server, via the shared helper);
// BERTH_E2E_REGISTRY=distribution runs the same tests against CNCF Distribution instead,
// which tells a broken harness or client setup apart from a Berth bug.
//
// Berth is closed by default: a push needs an existing project and a member allowed to
// push. `pusher()` sets that up through the management API (a private project and a
// developer in it) and returns the user's credentials for the clients; Distribution has no
// auth, so there it returns undefined and the tests skip their logins.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addMember, admin, createProject, createUser } from '../../helpers/api.js';
import { freePort, startBerth } from '../../helpers/berthProcess.js';
import type { Credentials } from './auth.js';
import { startDaemon } from './daemon.js';
import { makeScratchDir, removeScratchDir } from './scratch.js';
import { requireTool } from './tools.js';

export type RegistryKind = 'berth' | 'distribution';

export interface TargetRegistry {
  kind: RegistryKind;
  /** 127.0.0.1:PORT, as clients write it in image references. */
  host: string;
  url: string;
  /** Credentials for the tests' own reads through the HTTP API (Berth: admin); none on Distribution. */
  readAuth?: Credentials;
  /**
   * Creates `project` (private) and a user `username` who is a developer in it (push and
   * pull), returning that user's credentials; undefined on a registry without auth.
   */
  pusher(project: string, username: string): Promise<Credentials | undefined>;
  output(): string;
  dispose(): Promise<void>;
}

/** The password every user created by `pusher()` gets (Berth's policy: 8+ chars, upper, lower, digit). */
export const PUSHER_PASSWORD = 'E2e-Pusher-Pass-1';

/** BERTH_E2E_REGISTRY decides, unless a test needs one registry in particular. */
export async function startRegistry(kind?: RegistryKind): Promise<TargetRegistry> {
  const which = kind ?? process.env.BERTH_E2E_REGISTRY ?? 'berth';
  if (which === 'berth') return startBerthRegistry();
  if (which === 'distribution') return startDistribution();
  throw new Error(`BERTH_E2E_REGISTRY must be 'berth' or 'distribution', not '${which}'`);
}

async function startBerthRegistry(): Promise<TargetRegistry> {
  const berth = await startBerth();
  return {
    kind: 'berth',
    host: berth.host,
    url: berth.url,
    readAuth: admin,
    async pusher(project, username) {
      await createProject(berth.url, project);
      await createUser(berth.url, username, PUSHER_PASSWORD);
      await addMember(berth.url, project, username, 2);
      return { username, password: PUSHER_PASSWORD };
    },
    output: berth.output,
    dispose: berth.dispose,
  };
}

async function startDistribution(): Promise<TargetRegistry> {
  const bin = requireTool('docker-registry');
  const dir = await makeScratchDir('distribution');
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: info}',
      `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'docker-registry',
    bin,
    args: ['serve', config],
    logFile: path.join(dir, 'registry.log'),
    ready: async () => (await fetch(`${url}/v2/`)).status === 200,
  });
  return {
    kind: 'distribution',
    host: `127.0.0.1:${port}`,
    url,
    pusher: async () => undefined,
    output: daemon.log,
    async dispose() {
      await daemon.stop();
      await removeScratchDir(dir);
    },
  };
}
