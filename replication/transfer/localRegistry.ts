// Whether a worker reaches its own Berth's /v2 (BERTH_REPLICATION_LOCAL_URL). Every copy
// reads from or writes to it, so a worker that cannot reach it would only retry its tasks
// for hours; it says so once instead, fails the executions it would start, and reports the
// problem in its heartbeat for /api/v2.0/health.
import type { RegistryClient } from './client.js';

/** The setting that says where the worker finds its Berth, named in every complaint. */
export const localUrlSetting = 'BERTH_REPLICATION_LOCAL_URL';
const checkTimeoutMs = 5000;

function advice(url: string): string {
  return `set ${localUrlSetting} to the address where this Berth's server listens (the default, http://127.0.0.1:PORT, follows PORT, 5000 when unset); the worker now uses ${url}`;
}

/**
 * Asks `GET /v2/` of the worker's own Berth with the worker's own token. Returns why it is
 * not usable, or undefined when it answers as a registry that accepts the worker.
 */
export async function localRegistryProblem(client: (signal: AbortSignal) => RegistryClient, url: string): Promise<string | undefined> {
  const signal = AbortSignal.timeout(checkTimeoutMs);
  try {
    const res = await client(signal).request('GET', '/v2/', '');
    const version = res.headers.get('docker-distribution-api-version');
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) {
      return `${url}/v2/ refused the worker's token (${res.status}): it is another registry, or a Berth on another database; ${advice(url)}`;
    }
    if (res.status !== 200 || version !== 'registry/2.0') return `${url}/v2/ is not this Berth's registry API (it answered ${res.status}); ${advice(url)}`;
    return undefined;
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${checkTimeoutMs / 1000} s` : (err as Error).message;
    return `cannot reach this Berth's /v2/ at ${url} (${reason}); ${advice(url)}`;
  }
}
