// The console's serving: the page for every console address (deep links, reloads), hashed
// assets cached for a year, the page itself revalidated, and the API and registry paths
// never answered with the page.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import { startTestRegistry, testAuthDeps, type TestRegistry } from '../helpers/inProcess.js';

describe(`console serving`, function () {
  this.timeout(30_000);
  let r: TestRegistry;
  let dir: string;
  let server: http.Server;
  let base: string;
  const page = '<!doctype html><title>Berth</title><div id="root"></div>';

  before(async () => {
    r = await startTestRegistry();
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-web-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), page);
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = createApp({ db: r.db, store: r.store, log: createLogger('silent'), auth: await testAuthDeps(r.db), consoleRoot: dir });
    server = http.createServer(app.callback());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise((done) => server?.close(done));
    await r?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the console page at / and at every console address, revalidated each time', async () => {
    for (const p of ['/', '/projects', '/projects/library/repositories/team%2Fapp', '/sign-in?x=1']) {
      const res = await fetch(`${base}${p}`);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(await res.text(), page);
    }
  });

  it('caches hashed assets for a year and refuses missing ones', async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    assert.equal((await fetch(`${base}/assets/missing-1.js`)).status, 404);
    assert.equal((await fetch(`${base}/assets/..%2F..%2F..%2Fetc%2Fpasswd`)).status, 404);
    const outside = await fetch(`${base}/..%2F..%2Fetc%2Fhostname.txt`);
    assert.equal(await outside.text(), page, 'a path out of the console root gets the page, never the file');
  });

  it('never answers API, registry, token or login paths with the page', async () => {
    const api = await fetch(`${base}/api/v2.0/nothing-here`);
    assert.equal(api.status, 404);
    assert.match(await api.text(), /"errors"/);
    const v2 = await fetch(`${base}/v2/`);
    assert.equal(v2.status, 401);
    assert.equal((await fetch(`${base}/c/login`)).status, 405);
    assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 404);
  });

  it('says how to build the console when it is missing', async () => {
    const app = createApp({ db: r.db, store: r.store, log: createLogger('silent'), auth: await testAuthDeps(r.db), consoleRoot: path.join(dir, 'nope') });
    const s = http.createServer(app.callback());
    await new Promise<void>((done) => s.listen(0, '127.0.0.1', () => done()));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as { port: number }).port}/projects`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /npm run build/);
    } finally {
      await new Promise((done) => s.close(done));
    }
  });
});
