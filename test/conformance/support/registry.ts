// One registry for the whole conformance run. Importing this module registers root-level
// mocha hooks (a hook outside any describe belongs to the root suite, and an ES module runs
// its top level once however many spec files import it), so the server starts before the
// first workflow and is disposed after the last, whichever files are selected.
//
// BERTH_CONFORMANCE_URL=http://host:port targets a registry that is already running (another
// Berth, or CNCF Distribution while Berth's own server is not built); otherwise the built
// dist/server/main.js is started with the database BERTH_TEST_DB selects.
//
// Berth is closed by default: every repository lives in a project, and the run's repositories
// all live in one private project, `conformance-<run>`, created here before the first test (a
// second, public one, `conformance-<run>-public`, serves the anonymous-pull tests of 06). The
// clients authenticate as the admin the started server was given (test/helpers/api.ts), or as
// BERTH_CONFORMANCE_USER / BERTH_CONFORMANCE_PASSWORD against BERTH_CONFORMANCE_URL (none set:
// anonymous, e.g. for a Distribution without auth).
import { randomBytes } from 'node:crypto';
import { admin, basic, createProject } from '../../helpers/api.js';
import { startBerth, type BerthProcess } from '../../helpers/berthProcess.js';
import { bearerChallenge, RegistryAuth, type Credentials } from './auth.js';
import { OciClient } from './client.js';

let berth: BerthProcess | undefined;
let baseUrl: string | undefined;
let credentials: Credentials | undefined;
let auth: RegistryAuth | undefined;

// The suite runs twice in CI (filesystem and S3) and may target a shared registry: every
// repository name carries this run's id, so runs never see each other's content.
export const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** The run's private project: every repoName() lives in it. */
export const projectName = `conformance-${runId}`;
/** The run's public project (anonymous pulls). */
export const publicProjectName = `conformance-${runId}-public`;

/**
 * Creates a project through the Harbor-compatible API with the run's credentials (201, or 409
 * when it exists). Against a registry without that API (404/405: e.g. Distribution) it does
 * nothing: such a registry has no projects.
 */
async function ensureProjectAt(base: string, name: string, isPublic: boolean): Promise<void> {
  if (berth) {
    await createProject(base, name, { public: isPublic });
    return;
  }
  if (!credentials) return;
  const res = await fetch(`${base}/api/v2.0/projects`, {
    method: 'POST',
    headers: { authorization: basic(credentials), 'content-type': 'application/json' },
    body: JSON.stringify({ project_name: name, metadata: { public: String(isPublic) } }),
  });
  const text = await res.text();
  if (res.status === 404 || res.status === 405) return;
  if (res.status !== 201 && res.status !== 409) throw new Error(`create project ${name}: ${res.status} ${text}`);
}

before(async function () {
  this.timeout(120_000);
  const external = process.env.BERTH_CONFORMANCE_URL;
  if (external) {
    baseUrl = external.replace(/\/+$/, '');
  } else {
    // On the filesystem tier, the embedded default as `npm start` runs it (no DATABASE_URL);
    // on S3, a fresh database on the machine's PostgreSQL.
    berth = await startBerth({ database: process.env.BERTH_TEST_STORAGE === 's3' ? 'pg' : 'embedded' });
    baseUrl = berth.url;
    credentials = admin;
    // The server runs detached in its own process group; if mocha dies before the after
    // hook (a crash, a kill), do not leave it serving. After a normal dispose this is a no-op.
    const pgid = berth.pid;
    process.once('exit', () => {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
  }
  if (external) {
    const username = process.env.BERTH_CONFORMANCE_USER;
    const password = process.env.BERTH_CONFORMANCE_PASSWORD;
    if (username !== undefined || password !== undefined) credentials = { username: username ?? '', password: password ?? '' };
  }
  auth = new RegistryAuth(baseUrl, credentials);
  await ensureProjectAt(baseUrl, projectName, false);
  await ensureProjectAt(baseUrl, publicProjectName, true);
  // What docker does at login: one bare GET /v2/ tells the client the token realm and
  // service, so that every later repository request goes out with a token already.
  const probe = await fetch(`${baseUrl}/v2/`, { headers: { 'user-agent': 'berth-conformance' } });
  await probe.arrayBuffer();
  const ch = bearerChallenge(probe.headers.get('www-authenticate'));
  if (probe.status === 401 && ch) auth.learn(ch);
});

after(async function () {
  this.timeout(60_000);
  await berth?.dispose();
});

// When a test fails, show what the server logged while it ran (Berth logs at warn level, so
// this is its errors and stack traces): a 5xx is then diagnosable from the test output.
let outputMark = 0;
beforeEach(() => {
  outputMark = berth?.output().length ?? 0;
});
afterEach(function () {
  if (!berth || this.currentTest?.state !== 'failed') return;
  const fresh = berth.output().slice(outputMark).trim();
  if (fresh) console.error(`    --- berth output during this test ---\n${fresh.slice(-4000)}`);
});

export function registryUrl(): string {
  if (!baseUrl) throw new Error('registry not started: the root before hook has not run');
  return baseUrl;
}

/** A repository name unique to this run, e.g. conformance-<run>/pull (in the run's project). */
export function repoName(suffix: string): string {
  return `${projectName}/${suffix}`;
}

/** The credentials the run authenticates with (undefined: anonymous). */
export function runCredentials(): Credentials | undefined {
  return credentials;
}

/** Headers that authenticate a rawRequest with the run's credentials (HTTP Basic on /v2). */
export function authHeaders(): Record<string, string> {
  return credentials ? { authorization: basic(credentials) } : {};
}

/** A client that authenticates as the run's credentials, following token challenges. */
export function client(repo: string): OciClient {
  if (!auth) throw new Error('registry not started: the root before hook has not run');
  return new OciClient(registryUrl(), repo, auth);
}

/** A client that never authenticates (sends no credentials, never answers a challenge). */
export function anonymousClient(repo: string): OciClient {
  return new OciClient(registryUrl(), repo);
}
