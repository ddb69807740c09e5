// Management-API calls tests use to set up identities and projects (Harbor's shapes).
// Every test Berth starts with the admin password below (BERTH_ADMIN_PASSWORD).
export const admin = { username: 'admin', password: 'Berth-Test-Admin-1' };

export function basic(user: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

async function call(base: string, method: string, path: string, body: unknown, as = admin): Promise<Response> {
  return fetch(`${base}/api/v2.0${path}`, {
    method,
    headers: { Authorization: basic(as), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${await res.text()}`);
}

/** Creates a project (201), or accepts that it exists (409). */
export async function createProject(base: string, name: string, opts: { public?: boolean } = {}): Promise<void> {
  const res = await call(base, 'POST', '/projects', { project_name: name, metadata: { public: String(opts.public ?? false) } });
  await expectStatus(res, [201, 409], `create project ${name}`);
}

export async function createUser(base: string, username: string, password: string): Promise<void> {
  const res = await call(base, 'POST', '/users', { username, password, email: `${username}@example.invalid`, realname: username });
  await expectStatus(res, [201, 409], `create user ${username}`);
}

/** Role ids as Harbor's: 1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest. */
export async function addMember(base: string, project: string, username: string, roleId: 1 | 2 | 3 | 4 | 5): Promise<void> {
  const res = await call(base, 'POST', `/projects/${project}/members`, { role_id: roleId, member_user: { username } });
  await expectStatus(res, [201, 409], `add ${username} to ${project}`);
}
