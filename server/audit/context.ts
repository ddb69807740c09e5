// Who is acting in the current request, for the audit log. It travels with the request
// through AsyncLocalStorage rather than as a parameter of every service, because it is
// request-scoped context (address, user agent, request id, the principal once resolved),
// not an input of the operations themselves. Outside a request (scheduled jobs) the actor
// is the system.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Principal } from '../lib/principal.js';
import type { ActorType, AuditFields } from '../db/audit.js';

/** What recording and the status view need of the writer that batches rows (writer.ts's AuditWriter). */
export interface AuditQueue {
  readonly enabled: boolean;
  enqueue(row: Omit<AuditFields, 'id'>): void;
  stats(): { pending: number; dropped: number; written: number };
}

export interface RequestAudit {
  /** ctx.state of the request: the resolvers put the principal there. */
  state: { principal?: Principal };
  clientAddress: string;
  userAgent: string | null;
  requestId: string | null;
  writer?: AuditQueue;
}

export const requestAudit = new AsyncLocalStorage<RequestAudit>();

export interface Actor {
  username: string;
  actorType: ActorType;
  clientAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function actorOf(p: Principal | undefined): { username: string; actorType: ActorType } {
  if (!p || p.kind === 'anonymous') return { username: 'anonymous', actorType: 'anonymous' };
  if (p.kind === 'user') return { username: p.username, actorType: 'user' };
  if (p.kind === 'robot') return { username: p.name, actorType: 'robot' };
  if (!p.subject) return { username: 'anonymous', actorType: 'anonymous' };
  return { username: p.subject, actorType: p.subject.startsWith('robot$') ? 'robot' : 'user' };
}

/** The acting party of the current request, or the system outside one. */
export function currentActor(override?: { username: string; actorType: ActorType }): Actor {
  const r = requestAudit.getStore();
  const who = override ?? (r ? actorOf(r.state.principal) : system);
  return {
    username: who.username,
    actorType: who.actorType,
    clientAddress: r?.clientAddress ?? null,
    userAgent: r?.userAgent ?? null,
    requestId: r?.requestId ?? null,
  };
}

const system = { username: 'system', actorType: 'system' as const };

/**
 * The client's address: the socket's, or, when the socket is a trusted proxy, the nearest
 * untrusted address in X-Forwarded-For (proxy-addr walks the list from the right, so a
 * client cannot forge its way past the proxies it really came through).
 */
export function clientAddressResolver(trustedProxies: string[]): (req: IncomingMessage) => string {
  if (!trustedProxies.length) return (req) => req.socket.remoteAddress ?? '';
  const trust = proxyaddr.compile(trustedProxies);
  return (req) => proxyaddr(req, trust);
}

const requestIdRe = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: a trusted proxy's X-Request-Id (nginx's $request_id), so its log and
 * Berth's name the same request; otherwise, or when malformed, a new UUID. Anyone else's
 * header is ignored, since the id is written into the audit log.
 */
export function requestIdResolver(trustedProxies: string[]): (req: IncomingMessage) => string {
  if (!trustedProxies.length) return () => randomUUID();
  const trust = proxyaddr.compile(trustedProxies);
  return (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && requestIdRe.test(given) && trust(req.socket.remoteAddress ?? '', 0) ? given : randomUUID();
  };
}
