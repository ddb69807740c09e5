// The console in a real browser (Debian's Chromium through playwright-core, never a
// downloaded browser) against a Berth process: sign in with the keyboard, create a project,
// add a member, see a pushed artifact with its tags and size, add a tag, create a robot and
// push with its secret through skopeo, sign out; every
// main page is also photographed into docs/screenshots/ for the README.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { admin, basic, createProject, createUser } from '../helpers/api.js';
import { repoRoot, startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { startOidcProvider } from '../helpers/oidcProvider.js';
import { dpkgStatus, startScannerAdapter, tarLayer } from '../helpers/scannerAdapter.js';
import { startSlapd } from '../helpers/slapd.js';
import { asBody, pushBlob, pushImage, sha256, v2fetch } from '../helpers/v2client.js';
import pg from 'pg';

const shots = path.join(repoRoot, 'docs/screenshots');
const run = promisify(execFile);

describe('console in Chromium', function () {
  this.timeout(180_000);
  let berth: BerthProcess;
  let other: BerthProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    [berth, other] = await Promise.all([
      startBerth({ database: 'pg', env: { BERTH_REPLICATION_ALLOW: 'loopback' } }),
      startBerth({ database: 'pg', env: { BERTH_REPLICATION_WORKER: 'false' } }),
    ]);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await mkdir(shots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await Promise.all([berth?.dispose(), other?.dispose()]);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`page errors: ${errors.join('\n')}\nberth:\n${berth.output().slice(-3000)}\n`);
  });

  /** The sign-in settings, through the API as the administrator. */
  const putConfigurations = (body: Record<string, unknown>) =>
    fetch(`${berth.url}/api/v2.0/configurations`, {
      method: 'PUT',
      headers: { Authorization: basic(admin), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends a visitor to the sign-in page and signs in with the keyboard alone', async () => {
    await page.goto(`${berth.url}/projects`);
    await page.waitForURL('**/sign-in');
    await page.getByLabel('Username').waitFor();
    await page.screenshot({ path: path.join(shots, 'sign-in.png') });
    // The username field has focus; Tab reaches the password, Enter submits.
    await page.keyboard.type(admin.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /invalid|password|credentials/i);
    await page.getByLabel('Password').fill(admin.password);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/projects');
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
  });

  it('creates a project, validating the name before sending, and lists it with its badge and quota', async () => {
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByLabel('Name').fill('Web Shop');
    assert.equal(await dialog.getByRole('button', { name: 'Create' }).isDisabled(), true, 'an invalid name is not sent');
    await dialog.getByLabel('Name').fill('webshop');
    await dialog.getByLabel(/Storage quota/).fill('2');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row', { name: /webshop/ });
    await row.waitFor();
    assert.match(await row.innerText(), /Private/);
    assert.match(await row.innerText(), /0 B of 2\.0 GiB/);
    await page.screenshot({ path: path.join(shots, 'projects.png') });
  });

  it('adds a member by user name and changes the role', async () => {
    await createUser(berth.url, 'dev1', 'Passw0rd-Dev1');
    await page.getByRole('link', { name: 'webshop' }).click();
    await page.getByRole('link', { name: 'Members' }).click();
    await page.waitForURL('**/projects/webshop/members');
    await page.getByLabel('User name').fill('dev1');
    await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption({ label: 'Developer' });
    await page.getByRole('button', { name: 'Add member' }).click();
    const role = page.getByRole('combobox', { name: 'Role of dev1' });
    await role.waitFor();
    assert.equal(await role.inputValue(), '2');
    await role.selectOption({ label: 'Maintainer' });
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Role of dev1"]') as HTMLSelectElement | null)?.value === '4');
    await page.screenshot({ path: path.join(shots, 'project-members.png') });
    // A user who is not there is an error message, not a blank page.
    await page.getByLabel('User name').fill('nobody-here');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('alert').waitFor();
  });

  it('shows a pushed artifact with its tags, size and pull command, and adds a tag', async () => {
    const img = await pushImage(berth.url, 'webshop/team/app', '1.0');
    // A signature that refers to it: shown with its subject, not as an artifact of its own.
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await pushBlob(berth.url, 'webshop/team/app', Buffer.from('{}')), size: 2 },
        layers: [
          { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: await pushBlob(berth.url, 'webshop/team/app', Buffer.from('sig')), size: 3 },
        ],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: img.body.length },
      }),
    );
    const put = await v2fetch(`${berth.url}/v2/webshop/team/app/manifests/${sha256(sig)}`, {
      method: 'PUT',
      body: asBody(sig),
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(put.status, 201);
    await page.goto(`${berth.url}/projects/webshop/repositories`);
    await page.getByRole('link', { name: 'webshop/team/app' }).click();
    await page.waitForURL('**/projects/webshop/repositories/team%2Fapp');
    const row = page.getByRole('row', { name: new RegExp(img.digest.slice(7, 19)) });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /1\.0/);
    assert.match(text, /\d+(\.\d)? KiB/);
    assert.match(text, /Image/);
    assert.match(await row.getByRole('list', { name: /Referrers of/ }).innerText(), new RegExp(`Signature ${sha256(sig).slice(7, 19)}`));
    assert.equal(await page.locator('table.artifacts tbody tr').count(), 1, 'the signature is not a row of its own');
    await row.getByRole('button', { name: '+ Tag' }).click();
    await row.getByLabel('New tag').fill('stable');
    await row.getByRole('button', { name: 'Add' }).click();
    await page
      .getByRole('list', { name: /Tags of/ })
      .getByText('stable')
      .waitFor();
    await page.screenshot({ path: path.join(shots, 'repository.png') });
    // Reloading a deep link keeps the page (the server answers console routes with the app).
    await page.reload();
    await page.getByText('stable').waitFor();
  });

  it('creates a robot account whose secret, shown once, pushes with skopeo', async () => {
    await page.goto(`${berth.url}/projects/webshop/robots`);
    await page.getByRole('button', { name: 'New robot account' }).click();
    const dialog = page.getByRole('dialog', { name: 'New robot account' });
    await dialog.getByLabel('Name').fill('ci');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Robot secret' });
    const secret = await shown.getByLabel('Secret', { exact: true }).innerText();
    assert.match(secret, /^\S{32}$/);
    await page.screenshot({ path: path.join(shots, 'robot-secret.png') });
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row', { name: /robot\$webshop\+ci/ }).waitFor();
    await page.screenshot({ path: path.join(shots, 'robots.png') });
    await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      `${admin.username}:${admin.password}`,
      '--dest-creds',
      `robot$webshop+ci:${secret}`,
      `docker://${berth.host}/webshop/team/app:1.0`,
      `docker://${berth.host}/webshop/from-ci:1`,
    ]);
    await page.goto(`${berth.url}/projects/webshop/repositories`);
    await page.getByRole('link', { name: 'webshop/from-ci' }).waitFor();
  });

  it('adds a registry from its adapter form, creates a rule to it, runs it and watches it succeed', async () => {
    await createProject(other.url, 'webshop');
    await page.getByRole('link', { name: 'Replication' }).click();
    await page.getByRole('link', { name: 'Registries' }).click();
    await page.getByRole('button', { name: 'New registry' }).click();
    const form = page.getByRole('dialog', { name: 'New registry' });
    await form.getByLabel('Type').selectOption('berth');
    await form.getByLabel('Name', { exact: true }).fill('dr-site');
    await form.getByLabel('Endpoint URL').fill(other.url);
    await form.getByLabel(/Access ID/).fill(admin.username);
    await form.getByLabel(/Access secret/).fill(admin.password);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form
      .getByRole('status')
      .getByText(/accepts the credentials/)
      .waitFor();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /dr-site/ }).waitFor();

    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const rule = page.getByRole('dialog', { name: 'New replication rule' });
    await rule.getByLabel('Name', { exact: true }).fill('to-dr');
    await rule.getByRole('combobox', { name: 'Registry' }).selectOption({ label: `dr-site (${other.url})` });
    await rule.getByLabel(/Repositories/).fill('webshop/team/**');
    await rule.getByRole('button', { name: 'Save' }).click();
    const row = page.getByRole('row', { name: /to-dr/ });
    await row.waitFor();
    assert.match(await row.innerText(), /Push to dr-site/);
    await page.screenshot({ path: path.join(shots, 'replication-rules.png') });
    await row.getByRole('button', { name: 'Replicate now' }).click();
    await page.waitForURL(/\/replication\/executions\/\d+$/);
    await page.getByText('Succeed').first().waitFor({ timeout: 60_000 });
    await page.getByRole('row', { name: /webshop\/team\/app/ }).waitFor();
    assert.match(await page.getByLabel('Progress').innerText(), /1 of 1 done/);
    await page.screenshot({ path: path.join(shots, 'execution.png') });
    await page.getByRole('button', { name: 'Log' }).first().click();
    await page
      .getByRole('dialog')
      .getByText(/tagged webshop\/team\/app:/)
      .first()
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const res = await fetch(`${other.url}/v2/webshop/team/app/manifests/1.0`, {
      method: 'HEAD',
      headers: { Authorization: basic(admin), Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(res.status, 200);
  });

  it('shows how often a repository was pulled and when an artifact was last pulled', async () => {
    // skopeo and the replication above pulled webshop/team/app; counts land within seconds.
    const until = Date.now() + 15_000;
    for (;;) {
      await page.goto(`${berth.url}/projects/webshop/repositories`);
      const row = page.getByRole('row', { name: /webshop\/team\/app/ });
      await row.waitFor();
      const pulls = Number(await row.locator('td[data-label="Pulls"]').innerText());
      if (pulls >= 1) break;
      if (Date.now() > until) throw new Error('no pull was counted');
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.getByRole('link', { name: 'webshop/team/app' }).click();
    const pulled = page.locator('table.artifacts tbody tr td[data-label="Pulled"]').first();
    await pulled.waitFor();
    assert.notEqual(await pulled.innerText(), 'Never');
  });

  it('adds a tag immutability rule that then refuses to move a tag, switches it off and deletes it', async () => {
    await page.goto(`${berth.url}/projects/webshop/immutability`);
    const form = page.getByRole('form', { name: 'New immutability rule' });
    await form.getByLabel('Tag pattern').fill('stable-*');
    await form.getByRole('button', { name: 'Add rule' }).click();
    const enabled = page.getByRole('checkbox', { name: 'Rule matching **, tags matching stable-* is enabled' });
    await enabled.waitFor();
    assert.equal(await enabled.isChecked(), true);
    await pushImage(berth.url, 'webshop/imm', 'stable-1');
    await assert.rejects(pushImage(berth.url, 'webshop/imm', 'stable-1'), /403.*DENIED.*immutable/);
    // The box is controlled: it changes when the server has saved the rule, not on the click.
    await enabled.click();
    await page.waitForFunction(() => (document.querySelector('input[aria-label^="Rule matching **"]') as HTMLInputElement | null)?.checked === false);
    await pushImage(berth.url, 'webshop/imm', 'stable-1');
    await page.getByRole('button', { name: 'Delete rule matching **, tags matching stable-*' }).click();
    await page.getByText('No rules: every tag can be moved and deleted.').waitFor();
  });

  it('adds a retention rule, lists in a dry run exactly what a run then deletes, and runs it', async () => {
    const v1 = await pushImage(berth.url, 'webshop/ret', 'v1');
    await pushImage(berth.url, 'webshop/ret', 'v2');
    await pushImage(berth.url, 'webshop/ret', 'v3');
    await page.goto(`${berth.url}/projects/webshop/retention`);
    await page.getByText('No rules: nothing is deleted.').waitFor();
    const form = page.getByRole('form', { name: 'New retention rule' });
    await form.getByLabel('Repository pattern').fill('ret');
    await form.getByLabel('Retain').selectOption('latestPushedK');
    await form.getByLabel('Count (artifacts)').fill('2');
    await form.getByLabel('Tag pattern').fill('v*');
    await form.getByLabel('Untagged artifacts too').uncheck();
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('table', { name: 'Retention rules' }).getByText('retain the most recently pushed 2 artifacts with tags matching v*').waitFor();
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('status').getByText('Dry run queued').waitFor();
    // The server's runner takes it within seconds; the list refreshes until it has ended.
    const row = page.getByRole('row', { name: /dry run/ }).first();
    await row.getByText('Success').waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: /^Tasks of run/ }).click();
    const task = page.getByRole('row', { name: /webshop\/ret/ });
    assert.match(await task.innerText(), /webshop\/ret\s+Success\s+3\s+2\s+1/);
    await page.screenshot({ path: path.join(shots, 'retention.png') });
    await task.getByRole('button', { name: 'Log of webshop/ret' }).click();
    const log = page.getByRole('dialog', { name: /^Retention log of webshop\/ret, run #\d+$/ });
    await log.getByText(`${v1.digest} | v1 |`, { exact: false }).waitFor();
    assert.match(await log.innerText(), new RegExp(`${v1.digest} \\| v1 \\|.*WOULD DELETE`));
    assert.equal((await log.innerText()).match(/WOULD DELETE/g)?.length, 1);
    await log.getByRole('button', { name: 'Close' }).click();
    assert.equal((await v2fetch(`${berth.url}/v2/webshop/ret/manifests/${v1.digest}`, { method: 'HEAD' })).status, 200, 'a dry run deletes nothing');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('status').getByText('Retention run queued.').waitFor();
    const realRow = page.getByRole('row', { name: /^#\d+ Manual/ }).first();
    await realRow.getByText('Success').waitFor({ timeout: 20_000 });
    assert.equal((await v2fetch(`${berth.url}/v2/webshop/ret/manifests/${v1.digest}`, { method: 'HEAD' })).status, 404);
    assert.equal((await v2fetch(`${berth.url}/v2/webshop/ret/manifests/v3`, { method: 'HEAD' })).status, 200);
  });

  it('changes the settings of a project: public, and the quota for administrators', async () => {
    await page.goto(`${berth.url}/projects/webshop/settings`);
    await page.getByLabel('Storage quota, GiB (empty: unlimited)').fill('3');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByRole('status').getByText('Quota saved.').waitFor();
    await page
      .getByText(/of 3\.0 GiB/)
      .first()
      .waitFor();
    await page.getByLabel(/^Public/).click();
    await page.locator('.heading .badge.public').waitFor();
    const project = await (await fetch(`${berth.url}/api/v2.0/projects/webshop`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(project.public, true);
    assert.equal(project.storage_limit, 3 * 1024 ** 3);
  });

  it('deletes an empty project after asking, and says why a project with repositories stays', async () => {
    await createProject(berth.url, 'scratch');
    await page.goto(`${berth.url}/projects?name=s`);
    await page.getByRole('button', { name: 'Delete project webshop' }).click();
    const ask = page.getByRole('dialog', { name: 'Delete project' });
    await ask.getByRole('button', { name: 'Delete' }).click();
    await ask.getByRole('alert').waitFor();
    assert.match(await ask.getByRole('alert').innerText(), /repositor/i);
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete project scratch' }).click();
    await page.getByRole('dialog', { name: 'Delete project' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('link', { name: 'scratch' }).waitFor({ state: 'detached' });
    assert.equal((await fetch(`${berth.url}/api/v2.0/projects/scratch`, { headers: { Authorization: basic(admin) } })).status, 404);
  });

  it('filters the audit log by operation, resource and user', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Operation').selectOption('create');
    await filters.getByLabel('Resource').fill('webshop');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/operation=create/);
    const rows = page.locator('table.audit tbody tr');
    // NOTE: the unfiltered page stays on screen until the filtered one arrives, so wait for
    // the rows to change rather than for the first row (seen once: a "delete" row read).
    await page.waitForFunction(() => {
      const shown = [...document.querySelectorAll('table.audit tbody tr')].map((tr) => tr.textContent ?? '');
      return shown.length > 0 && shown.every((t) => t.includes('create') && t.includes('webshop'));
    });
    const texts = await rows.allInnerTexts();
    assert.ok(texts.length >= 3, texts.join('\n'));
    for (const t of texts) {
      assert.match(t, /create/);
      assert.match(t, /webshop/);
    }
    assert.ok(
      texts.some((t) => /robot\$webshop\+ci/.test(t)),
      'the robot push is there with its actor',
    );
    await page.screenshot({ path: path.join(shots, 'audit-log.png') });
    await filters.getByLabel('User').fill('nobody-at-all');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entries match the filter.').waitFor();
    const csv = page.getByRole('link', { name: 'Export CSV' });
    assert.match((await csv.getAttribute('href')) ?? '', /format=csv&q=username%3D%7Enobody-at-all/);
  });

  it('administers users, shows the health of each component and storage per project', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.getByRole('dialog', { name: 'New user' });
    await form.getByLabel('User name').fill('ops1');
    await form.getByLabel('Email').fill('ops1@example.invalid');
    await form.getByLabel('Password').fill('weak');
    assert.equal(await form.getByRole('button', { name: 'Create' }).isDisabled(), true, 'a weak password is not sent');
    await form.getByLabel('Password').fill('Ops-Passw0rd');
    await form.getByRole('button', { name: 'Create' }).click();
    const flag = page.getByRole('checkbox', { name: 'ops1 is an administrator' });
    await flag.click();
    await page.waitForFunction(() => (document.querySelector('input[aria-label="ops1 is an administrator"]') as HTMLInputElement | null)?.checked === true);
    const users = await (await fetch(`${berth.url}/api/v2.0/users?username=ops1`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(users[0].sysadmin_flag, true);
    await page.screenshot({ path: path.join(shots, 'admin-users.png') });
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('table', { name: 'Component health' }).getByText('database').waitFor();
    assert.match(await page.getByRole('table', { name: 'Component health' }).innerText(), /database\s+healthy/i);
    await page.getByRole('link', { name: 'Storage' }).click();
    await page.getByRole('img', { name: /^webshop: / }).waitFor();
    await page.screenshot({ path: path.join(shots, 'storage.png') });
  });

  it('runs garbage collection as a dry run, shows its log, and keeps a schedule', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Garbage collection' }).click();
    const runNow = page.getByRole('form', { name: 'Run garbage collection' });
    await runNow.getByLabel('Delete untagged artifacts').check();
    await runNow.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('status').getByText('Dry run queued').waitFor();
    // The server's runner takes it within seconds; the list refreshes until it has ended.
    const row = page.getByRole('row', { name: /dry run/ }).first();
    await row.getByText('Success').waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: 'Log' }).click();
    const log = page.getByRole('dialog', { name: /^Log of garbage collection #\d+$/ });
    await log.getByText(/dry run, untagged manifests too/).waitFor();
    await log.getByRole('button', { name: 'Close' }).click();
    const schedule = page.getByRole('form', { name: 'Schedule' });
    await schedule.getByLabel('Schedule').selectOption('Custom');
    await schedule.getByLabel('Cron (seconds first)').fill('0 30 2 * * *');
    await schedule.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByRole('status').getByText('Schedule saved.').waitFor();
    const stored = await (await fetch(`${berth.url}/api/v2.0/system/gc/schedule`, { headers: { Authorization: basic(admin) } })).json();
    assert.deepEqual([stored.schedule.type, stored.schedule.cron], ['Custom', '0 30 2 * * *']);
    assert.doesNotMatch(await schedule.innerText(), /none scheduled/);
    await page.screenshot({ path: path.join(shots, 'gc.png') });
    await schedule.getByLabel('Schedule').selectOption('None');
    await schedule.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Next run: none scheduled').waitFor();
  });

  it('registers a scanner, scans an image, shows its vulnerabilities and report, and sets the pull gate and allowlist', async () => {
    const adapter = await startScannerAdapter({
      advisories: [{ id: 'CVE-2099-0001', ecosystem: 'dpkg', package: 'openssl', fixedVersion: '3.0.12', severity: 'High' }],
    });
    try {
      await createProject(berth.url, 'secure');
      // An image whose one layer is a real gzip tar holding a dpkg database with openssl 3.0.11.
      const layer = await tarLayer({ 'var/lib/dpkg/status': dpkgStatus([{ name: 'openssl', version: '3.0.11' }]) });
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(berth.url, 'secure/app', config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await pushBlob(berth.url, 'secure/app', layer), size: layer.length }],
        }),
      );
      const put = await v2fetch(`${berth.url}/v2/secure/app/manifests/v1`, {
        method: 'PUT',
        body: asBody(manifest),
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(put.status, 201, await put.text());
      const short = sha256(manifest).slice(7, 19);

      await page.getByRole('link', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Scanners' }).click();
      await page.getByRole('button', { name: 'New scanner' }).click();
      const form = page.getByRole('dialog', { name: 'New scanner' });
      await form.getByLabel('Name', { exact: true }).fill('test-scanner');
      await form.getByLabel('Adapter URL').fill(adapter.url);
      await form.getByLabel('Authentication').selectOption('');
      await form.getByRole('button', { name: 'Test connection' }).click();
      await form.getByRole('status').getByText('Connected: berth-test-scanner 1.0.0 by Berth tests.').waitFor();
      await form.getByRole('button', { name: 'Save' }).click();
      const registration = page.getByRole('row', { name: /test-scanner/ });
      await registration.getByText('Default').waitFor();
      await registration.getByText('berth-test-scanner 1.0.0').waitFor();
      assert.match(await registration.innerText(), /Healthy/);
      await page.screenshot({ path: path.join(shots, 'scanners.png'), fullPage: true });

      await page.goto(`${berth.url}/projects/secure/repositories/app`);
      const row = page.getByRole('row', { name: new RegExp(short) });
      await row.getByText('Not scanned').waitFor();
      await row.getByRole('button', { name: `Scan artifact ${short}` }).click();
      // The list is polled while the scan waits and runs.
      const counts = row.getByRole('list', { name: `Vulnerabilities of ${short} by severity` });
      await counts.waitFor({ timeout: 30_000 });
      assert.match(await counts.innerText(), /High\s*1/);
      assert.equal(await counts.locator('.sev.highest').innerText(), 'High');
      assert.match(await row.innerText(), /1 vulnerability, 1 fixable/);
      await page.screenshot({ path: path.join(shots, 'vulnerabilities.png') });
      await row.getByRole('link', { name: `Vulnerability report of ${short}` }).click();
      const finding = page.getByRole('table', { name: 'Vulnerabilities' }).getByRole('row', { name: /CVE-2099-0001/ });
      await finding.waitFor();
      assert.match(await finding.innerText(), /CVE-2099-0001\s+High\s+openssl\s+3\.0\.11\s+3\.0\.12/);
      assert.match(await page.locator('dl.facts').innerText(), /berth-test-scanner 1\.0\.0/);

      await page.goto(`${berth.url}/projects/secure/settings`);
      await page.getByRole('region', { name: 'Scanner' }).getByText('test-scanner').waitFor();
      const settings = page.getByRole('form', { name: 'Vulnerability settings' });
      await settings.getByLabel('Prevent vulnerable images from running').check();
      await settings.getByLabel(/^Refuse pulls of images/).selectOption('high');
      await settings.getByLabel("Use the project's own allowlist").check();
      await settings.getByLabel(/^The project's CVE ids/).fill('CVE-2099-0001');
      await settings.getByRole('button', { name: 'Save vulnerability settings' }).click();
      await settings.getByRole('status').getByText('Vulnerability settings saved.').waitFor();
      const project = await (await fetch(`${berth.url}/api/v2.0/projects/secure`, { headers: { Authorization: basic(admin) } })).json();
      assert.deepEqual(
        [project.metadata.prevent_vul, project.metadata.severity, project.metadata.reuse_sys_cve_allowlist, project.metadata.auto_scan],
        ['true', 'high', 'false', 'false'],
      );
      assert.deepEqual(
        project.cve_allowlist.items.map((i: { cve_id: string }) => i.cve_id),
        ['CVE-2099-0001'],
      );
      assert.equal(project.cve_allowlist.expires_at, null);
    } finally {
      await adapter.close();
    }
  });

  it('sets up LDAP sign-in, tests the connection, adds a directory group to a project, and a directory user signs in', async () => {
    const ldap = await startSlapd({ users: [{ uid: 'lena', password: 'Lena-Directory-1' }], groups: [{ cn: 'shop', members: ['lena'] }] });
    try {
      await page.getByRole('link', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Sign-in' }).click();
      const form = page.getByRole('form', { name: 'Sign-in settings' });
      await form.getByLabel('LDAP directory').check();
      await form.getByLabel('Server URL').fill(ldap.url);
      await form.getByLabel('Search DN').fill(ldap.adminDn);
      await form.getByLabel('Search password').fill('wrong');
      await form.getByLabel('User base DN').fill(`ou=people,${ldap.baseDn}`);
      await form.getByLabel('Group base DN').fill(`ou=groups,${ldap.baseDn}`);
      await form.getByRole('button', { name: 'Test connection' }).click();
      await form
        .getByRole('status')
        .getByText(/refused the search account/)
        .waitFor();
      await form.getByLabel('Search password').fill(ldap.adminPassword);
      await form.getByRole('button', { name: 'Test connection' }).click();
      await form.getByRole('status').getByText('Connected: the directory answered.').waitFor();
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByRole('status').getByText('Saved.').waitFor();
      // Every worker process rereads the settings within 3 seconds (identity/settings.ts).
      await new Promise((r) => setTimeout(r, 3500));
      let modes: string[] = [];
      for (let i = 0; i < 50 && modes.length < 2; i++, await new Promise((r) => setTimeout(r, 100))) {
        modes = (await (await fetch(`${berth.url}/api/v2.0/systeminfo`)).json()).auth_modes;
      }
      assert.deepEqual(modes, ['db_auth', 'ldap_auth']);
      const groups = page.getByRole('form', { name: 'Add LDAP group' });
      await groups.getByLabel('Group DN').fill(ldap.groupDn('shop'));
      await groups.getByRole('button', { name: 'Add group' }).click();
      await page.getByRole('row', { name: /shop/ }).waitFor();
      await page.screenshot({ path: path.join(shots, 'sign-in-settings.png'), fullPage: true });

      await page.goto(`${berth.url}/projects/webshop/members`);
      await page.getByRole('combobox', { name: 'Member', exact: true }).selectOption({ label: 'LDAP group' });
      await page.getByLabel('Group DN').fill(ldap.groupDn('shop'));
      await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption({ label: 'Guest' });
      await page.getByRole('button', { name: 'Add member' }).click();
      const row = page.getByRole('row', { name: /shop\s+Group/ });
      await row.waitFor();

      // The directory's user signs in to the console with the directory's password and sees the project.
      const lena = await browser.newPage();
      try {
        await lena.goto(`${berth.url}/sign-in`);
        await lena.getByLabel('Username').fill('lena');
        await lena.getByLabel('Password').fill('Lena-Directory-1');
        await lena.keyboard.press('Enter');
        await lena.getByRole('link', { name: 'webshop' }).waitFor();
      } finally {
        await lena.close();
      }
      await page.getByRole('button', { name: 'Remove shop' }).click();
      await page.getByRole('dialog', { name: 'Remove member' }).getByRole('button', { name: 'Remove' }).click();
      await row.waitFor({ state: 'detached' });
    } finally {
      await putConfigurations({ auth_modes: ['db_auth'] });
      await ldap.stop();
    }
  });

  it('signs in through an OIDC provider from the sign-in page, and shows the CLI secret', async () => {
    const idp = await startOidcProvider({
      redirectUris: [`${berth.url}/c/oidc/callback`],
      accounts: [{ sub: 'u-tess', preferred_username: 'tess', email: 'tess@idp.test', groups: [] }],
    });
    const tess = await browser.newPage();
    try {
      const res = await putConfigurations({
        auth_modes: ['db_auth', 'oidc_auth'],
        oidc_name: 'Test IdP',
        oidc_endpoint: idp.issuer,
        oidc_client_id: idp.clientId,
        oidc_client_secret: idp.clientSecret,
        oidc_auto_onboard: true,
      });
      assert.equal(res.status, 200, await res.text());
      idp.signInAs('u-tess');
      // Every worker process rereads the settings within 3 seconds (identity/settings.ts).
      await new Promise((r) => setTimeout(r, 3500));
      await tess.goto(`${berth.url}/sign-in`);
      await tess.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await tess.waitForURL('**/projects');
      await tess.getByText('tess', { exact: true }).waitFor();
      await tess.getByRole('button', { name: 'CLI secret' }).click();
      const secret = await tess.getByRole('textbox', { name: 'CLI secret' }).inputValue();
      assert.match(secret, /^[\w-]{32}$/);
      const token = await fetch(`${berth.url}/service/token?service=berth&scope=repository:webshop/app:pull`, {
        headers: { Authorization: basic({ username: 'tess', password: secret }) },
      });
      assert.equal(token.status, 200, 'docker login takes the CLI secret');
      await tess.screenshot({ path: path.join(shots, 'cli-secret.png') });
    } finally {
      await tess.close();
      await putConfigurations({ auth_modes: ['db_auth'] });
      await idp.stop();
    }
  });

  it('stays quick with thousands of repositories: paged and searched on the server', async () => {
    await createProject(berth.url, 'bulk');
    const db = new pg.Client({ connectionString: berth.databaseUrl });
    await db.connect();
    try {
      await db.query(`INSERT INTO repositories (name) SELECT 'bulk/repo-' || lpad(i::text, 5, '0') FROM generate_series(1, 5000) AS i`);
    } finally {
      await db.end();
    }
    const started = Date.now();
    await page.goto(`${berth.url}/projects/bulk/repositories`);
    await page.locator('table tbody tr').first().waitFor();
    const ms = Date.now() - started;
    assert.ok(ms < 3000, `the first page took ${ms} ms`);
    assert.equal(await page.locator('table tbody tr').count(), 15);
    assert.match(await page.getByRole('navigation', { name: 'Pages' }).innerText(), /of 5000/);
    await page.getByRole('searchbox').fill('repo-04321');
    await page.getByRole('link', { name: 'bulk/repo-04321' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    await page.getByRole('button', { name: 'Next page' }).isDisabled();
  });

  it('fits a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.goto(`${berth.url}/projects`);
    await page.getByRole('link', { name: 'webshop' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the window`);
    await page.screenshot({ path: path.join(shots, 'projects-narrow.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out, and a deep link then asks to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.goto(`${berth.url}/projects/webshop/members`);
    await page.waitForURL('**/sign-in');
  });

  it('lets a user change their own password, which then signs them in', async () => {
    await page.getByLabel('Username').fill('dev1');
    await page.getByLabel('Password').fill('Passw0rd-Dev1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the deep link wanted to go.
    await page.waitForURL('**/projects/webshop/members');
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    await dialog.getByLabel('Current password').fill('Passw0rd-Dev1');
    await dialog.getByLabel('New password', { exact: true }).fill('Changed-Passw0rd');
    await dialog.getByLabel('New password again').fill('Changed-Passw0rd');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText(/was changed/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.getByLabel('Username').fill('dev1');
    await page.getByLabel('Password').fill('Changed-Passw0rd');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/projects');
    assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0, 'no administration for a plain user');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    assert.deepEqual(errors, []);
  });
});
