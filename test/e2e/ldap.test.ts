// Directory users with the real clients: Berth signs users in against a real slapd, and a
// directory group is a developer of a private project. `docker login` with the directory
// password, then a push and a pull through the group's role; skopeo the same way; a user
// outside the group is refused, and a user the directory removed can no longer log in.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { admin, basic, createProject } from '../helpers/api.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { credsFlag, REFUSED, type Credentials } from './support/auth.js';
import { makeLayers, mergeLayers, writeFiles } from './support/content.js';
import { containersEnv, skopeoRunner, type ClientRunner } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { buildOciImage, writeOciLayout } from './support/ociImage.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

const member: Credentials = { username: 'maria', password: 'Maria-Directory-1' };
const outsider: Credentials = { username: 'oscar', password: 'Oscar-Directory-1' };

describe('e2e: directory (LDAP) users with docker and skopeo', function () {
  this.timeout(180_000);
  let reg: TargetRegistry | undefined;
  let ldap: Slapd | undefined;
  let dockerd: Dockerd | undefined;
  let skopeo: ClientRunner;
  let dir: string;

  const api = (method: string, p: string, body: unknown) =>
    fetch(`${reg!.url}/api/v2.0${p}`, { method, headers: { Authorization: basic(admin), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    requireTool('docker');
    requireTool('dockerd');
    const skopeoBin = requireTool('skopeo');
    dir = await makeScratchDir('ldap');
    ldap = await startSlapd({
      users: [member, outsider].map((u) => ({ uid: u.username, password: u.password })),
      groups: [{ cn: 'builders', members: [member.username] }],
    });
    reg = await startRegistry('berth');
    const configured = await api('PUT', '/configurations', {
      auth_modes: ['db_auth', 'ldap_auth'],
      ldap_url: ldap.url,
      ldap_search_dn: ldap.adminDn,
      ldap_search_password: ldap.adminPassword,
      ldap_base_dn: `ou=people,${ldap.baseDn}`,
      ldap_group_base_dn: `ou=groups,${ldap.baseDn}`,
      ldap_cache_seconds: 0,
    });
    assert.equal(configured.status, 200, await configured.text());
    // Every worker process rereads the settings within 3 seconds (identity/settings.ts).
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await createProject(reg.url, 'dirteam');
    const added = await api('POST', '/projects/dirteam/members', { role_id: 2, member_group: { group_type: 1, ldap_group_dn: ldap.groupDn('builders') } });
    assert.equal(added.status, 201, await added.text());
    dockerd = await startDockerd(path.join(dir, 'dockerd'), reg.host);
    skopeo = skopeoRunner(skopeoBin, await containersEnv(path.join(dir, 'skopeo')));
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['registry', () => reg?.output() ?? ''],
      ['dockerd', () => dockerd?.daemon.log() ?? ''],
    ]);
  });

  after(async () => {
    await dockerd?.stop();
    await reg?.dispose();
    await ldap?.stop();
    await removeScratchDir(dir);
  });

  it('docker logs in with the directory password and pushes and pulls through the group role', async () => {
    const d = dockerd!;
    const config = await d.newClientConfig('maria');
    assert.match((await d.login(reg!.host, member, config)).stdout, /Login Succeeded/);
    const context = path.join(dir, 'context');
    const layers = makeLayers('ldap', [2_048]);
    await writeFiles(context, mergeLayers(layers));
    await writeFile(path.join(context, 'Dockerfile'), ['FROM scratch', 'COPY ldap/layer1 /ldap/layer1', 'CMD ["/nothing"]', ''].join('\n'));
    const ref = `${reg!.host}/dirteam/app:v1`;
    await d.docker(['build', '--network=none', '-t', ref, context]);
    await d.docker(['push', ref], { config });
    assert.ok((await getManifest(reg!, 'dirteam/app', 'v1')).digest);
    await d.docker(['rmi', ref]);
    assert.match((await d.docker(['pull', ref], { config })).stdout, /Digest: sha256:/);

    const other = await d.newClientConfig('oscar');
    assert.match((await d.login(reg!.host, outsider, other)).stdout, /Login Succeeded/, 'a directory user logs in');
    const refused = await d.docker(['push', ref], { config: other, allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(`${refused.stdout}\n${refused.stderr}`, REFUSED);
    const wrong = await d.docker(['login', reg!.host, '-u', member.username, '--password-stdin'], {
      input: 'not-it',
      config: await d.newClientConfig('maria-wrong'),
      allowFailure: true,
    });
    assert.notEqual(wrong.code, 0);
  });

  it('skopeo copies with directory credentials; a user removed from the directory is refused', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, buildOciImage(makeLayers('ldap-oci', [512])), 'v1');
    const ref = `docker://${reg!.host}/dirteam/oci:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', member), `oci:${layout}:v1`, ref]);
    await ldap!.removeUser(member.username);
    const r = await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', member), `oci:${layout}:v1`, `${ref.replace(':v1', ':v2')}`], {
      allowFailure: true,
    });
    assert.notEqual(r.code, 0);
    assert.match(`${r.stdout}\n${r.stderr}`, /unauthorized|authentication required|401/i);
  });
});
