// A small typed client for /api/v2.0 with the console's session: the cookie rides along,
// and every unsafe request echoes the CSRF token the server last sent. The resource
// modules beside it (projects.ts, replication.ts, …) hold the paths and the query keys.

let csrfToken: string | undefined;

/** One page of a list, with the total Harbor sends in X-Total-Count. */
export interface Page<T> {
  items: T[];
  total: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const e = body.errors?.[0];
    if (e?.message) return new ApiError(res.status, e.message, e.code);
  } catch {
    /* not Harbor's error body */
  }
  return new ApiError(res.status, text.trim().slice(0, 300) || `${res.status} ${res.statusText}`);
}

/** One request; `path` is relative to /api/v2.0 unless it starts with /c/. */
export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-Harbor-CSRF-Token'] = csrfToken;
  const res = await fetch(path.startsWith('/c/') ? path : `/api/v2.0${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = res.headers.get('X-Harbor-CSRF-Token');
  if (token) csrfToken = token;
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request('GET', path)).json() as Promise<T>;
}

export async function getPage<T>(path: string): Promise<Page<T>> {
  const res = await request('GET', path);
  return { items: (await res.json()) as T[], total: Number(res.headers.get('X-Total-Count') ?? 0) };
}

export const post = (path: string, body: unknown) => request('POST', path, body);
export const put = (path: string, body: unknown) => request('PUT', path, body);
export const del = (path: string) => request('DELETE', path);

/** The console login: a form post, as Harbor's. */
export async function login(principal: string, password: string): Promise<void> {
  const res = await fetch('/c/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    credentials: 'same-origin',
    body: new URLSearchParams({ principal, password }),
  });
  if (!res.ok) throw await errorOf(res);
  csrfToken = res.headers.get('X-Harbor-CSRF-Token') ?? undefined;
}

export async function logout(): Promise<void> {
  await fetch('/c/log_out', { credentials: 'same-origin' });
  csrfToken = undefined;
}

/** `?q=name=~x&page=&page_size=&sort=`, leaving out what is empty. */
export function listQuery(p: { name?: string; page: number; pageSize: number; sort?: string }): string {
  const q = new URLSearchParams({ page: String(p.page), page_size: String(p.pageSize) });
  if (p.name) q.set('q', `name=~${p.name}`);
  if (p.sort) q.set('sort', p.sort);
  return q.toString();
}

/** The console's path segment for a repository below its project (`team/app` -> `team%2Fapp`). */
export function repoSegment(repository: string, project: string): string {
  return encodeURIComponent(repository.slice(project.length + 1));
}
