// The registries a worker talks to: this Berth's /v2, with tokens the worker signs itself
// (it holds the signing key), and a rule's remote registry, with its unsealed credential.
import { tokenIssuer } from '../../server/auth/resolvers.js';
import { issueToken, parseScope } from '../../server/auth/tokens.js';
import { findRegistry } from '../../server/db/registries.js';
import type { AccessEntry } from '../../server/lib/principal.js';
import { remoteOf } from '../../server/replication/registries.js';
import { type Clients, replicationActor, type WorkerDeps } from '../context.js';
import { PermanentError, RegistryClient } from './client.js';

export class WorkerClients implements Clients {
  private readonly localTokens = new Map<string, { header: string; until: number }>();

  constructor(private readonly deps: WorkerDeps) {}

  async remote(registryId: number, signal?: AbortSignal): Promise<RegistryClient> {
    const row = await findRegistry(this.deps.db, registryId);
    if (!row) throw new PermanentError(`registry ${registryId} no longer exists`);
    return new RegistryClient(remoteOf(this.deps, row), this.deps.allow, { signal });
  }

  local(signal?: AbortSignal): RegistryClient {
    return new RegistryClient(
      { url: this.deps.localUrl, insecure: true },
      { loopback: true, private: true },
      { signal, authorize: (scope) => this.localAuthorization(scope) },
    );
  }

  private localAuthorization(scope: string): string {
    const cached = this.localTokens.get(scope);
    if (cached && cached.until > Date.now()) return cached.header;
    const access = scope
      .split(' ')
      .map(parseScope)
      .filter((a): a is AccessEntry => !!a);
    const { token } = issueToken(this.deps.keys()[0], {
      issuer: tokenIssuer,
      service: this.deps.tokenService,
      subject: replicationActor,
      access,
      ttlSeconds: 3600,
    });
    const header = `Bearer ${token}`;
    this.localTokens.set(scope, { header, until: Date.now() + 50 * 60_000 });
    return header;
  }
}
