// Refused changes are audited too: an unsafe request that a known caller was not allowed
// to make (403, or 401 for credentials that were presented) leaves a failure row. The
// anonymous 401 that starts every token handshake is not a refusal and leaves nothing.
import type Koa from 'koa';
import type { Principal } from '../lib/principal.js';
import { recordLater, type AuditOperation } from '../audit/record.js';
import { projectOf } from '../lib/references.js';

const v2Path = /^\/v2\/(?<name>.+)\/(?<kind>manifests|blobs\/uploads|blobs)(?:\/(?<ref>[^/]+))?\/?$/;
const apiTypes: Record<string, string> = {
  projects: 'project',
  members: 'project_member',
  repositories: 'repository',
  artifacts: 'artifact',
  tags: 'tag',
  robots: 'robot',
  users: 'user',
  quotas: 'quota',
  'audit-logs': 'audit_log',
  password: 'user',
};

function operationOf(method: string): AuditOperation | undefined {
  if (method === 'POST') return 'create';
  if (method === 'PUT' || method === 'PATCH') return 'update';
  if (method === 'DELETE') return 'delete';
  return undefined;
}

function describe(
  ctx: Koa.Context,
  operation: AuditOperation,
): { operation: AuditOperation; resourceType: string; resource: string; projectName?: string | null } | undefined {
  const v2 = v2Path.exec(ctx.path);
  if (v2?.groups) {
    const { name, kind, ref } = v2.groups;
    const resourceType = kind === 'manifests' ? 'artifact' : 'blob';
    return {
      operation: operation === 'update' ? 'create' : operation,
      resourceType,
      resource: ref && kind !== 'blobs/uploads' ? `${name}${ref.includes(':') ? '@' : ':'}${ref}` : name,
      projectName: projectOf(name),
    };
  }
  if (ctx.path.startsWith('/api/v2.0/')) {
    const parts = ctx.path.slice('/api/v2.0/'.length).split('/').filter(Boolean);
    const collection = [...parts].reverse().find((p) => p in apiTypes);
    const project = parts[0] === 'projects' && parts[1] && !/^\d+$/.test(parts[1]) ? decodeURIComponent(parts[1]) : null;
    return { operation, resourceType: collection ? apiTypes[collection] : (parts[0] ?? 'api'), resource: ctx.path.slice(0, 1024), projectName: project };
  }
  return undefined;
}

export function auditRefusals(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      const operation = operationOf(ctx.method);
      const principal = ctx.state.principal as Principal | undefined;
      const refused = ctx.status === 403 || (ctx.status === 401 && principal !== undefined && principal.kind !== 'anonymous');
      const what = operation && refused ? describe(ctx, operation) : undefined;
      if (what) {
        // The error mappers leave the code they rendered here.
        recordLater({ ...what, ok: false, errorCode: (ctx.state.errorCode as string | undefined) ?? String(ctx.status) });
      }
    }
  };
}
