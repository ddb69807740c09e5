// Credentials as the clients take them. Berth is closed by default: every client logs in
// (docker/podman/buildah login) or passes credentials per call (skopeo --creds, ctr --user).
// CNCF Distribution (BERTH_E2E_REGISTRY=distribution) runs without auth, so there the
// credentials are undefined and every helper here yields no flag at all.

export interface Credentials {
  username: string;
  password: string;
}

/** `Basic …` for an Authorization header. */
export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** Authorization header for direct HTTP calls; none without credentials. */
export function authHeaders(c: Credentials | undefined): Record<string, string> {
  return c ? { Authorization: basicAuth(c) } : {};
}

/**
 * skopeo/buildah style `--creds=user:pass` (`flag` may be `--src-creds`, `--dest-creds`);
 * `[]` without credentials.
 */
export function credsFlag(flag: '--creds' | '--src-creds' | '--dest-creds', c: Credentials | undefined): string[] {
  return c ? [`${flag}=${c.username}:${c.password}`] : [];
}

/** ctr's `--user user:pass`; `[]` without credentials. */
export function ctrUserFlag(c: Credentials | undefined): string[] {
  return c ? ['--user', `${c.username}:${c.password}`] : [];
}

/** How clients word a refused push or pull (a 401 or 403 from the registry). */
export const REFUSED = /denied|unauthorized/i;
