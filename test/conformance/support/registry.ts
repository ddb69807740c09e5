// One registry for the whole conformance run. Importing this module registers root-level
// mocha hooks (a hook outside any describe belongs to the root suite, and an ES module runs
// its top level once however many spec files import it), so the server starts before the
// first workflow and is disposed after the last, whichever files are selected.
//
// BERTH_CONFORMANCE_URL=http://host:port targets a registry that is already running (another
// Berth, or CNCF Distribution while Berth's own server is not built); otherwise the built
// dist/server/main.js is started with the database BERTH_TEST_DB selects.
import { randomBytes } from 'node:crypto';
import { startBerth, type BerthProcess } from '../../helpers/berthProcess.js';
import { OciClient } from './client.js';

let berth: BerthProcess | undefined;
let baseUrl: string | undefined;

before(async function () {
  this.timeout(120_000);
  const external = process.env.BERTH_CONFORMANCE_URL;
  if (external) {
    baseUrl = external.replace(/\/+$/, '');
  } else {
    berth = await startBerth();
    baseUrl = berth.url;
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

// The suite runs twice in CI (pg and pglite) and may target a shared registry: every
// repository name carries this run's id, so runs never see each other's content.
export const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** A repository name unique to this run, e.g. conformance-<run>/pull. */
export function repoName(suffix: string): string {
  return `conformance-${runId}/${suffix}`;
}

export function client(repo: string): OciClient {
  return new OciClient(registryUrl(), repo);
}
