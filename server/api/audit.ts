// /api/v2.0/audit-logs (system administrators) and /projects/{p}/logs (project admins),
// Harbor's paths and filters, with an export, the chain verification and the purge.
import type Koa from 'koa';
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { requestAudit } from '../audit/context.js';
import { auditStatusFor, auditFilterKeys, auditSortKeys, exportAuditLogs, listAuditLogs, purgeAuditLogFor, verifyAuditChainFor } from '../projects/auditLog.js';
import { byName, jsonBody, principal } from './auth.js';
import { DomainError } from '../lib/errors.js';
import { harborQ, listParams, queryParam } from './listing.js';
import { parseQuery, pageLinks } from './query.js';

function cursorOf(ctx: Koa.Context): number | undefined {
  const c = queryParam(ctx, 'cursor');
  if (c === undefined) return undefined;
  if (!/^\d{1,15}$/.test(c)) throw new DomainError('INVALID', 'cursor must be a row id from a Link header');
  return Number(c);
}

export function registerAuditLogs(router: Router, deps: ApiDeps): void {
  const list = async (ctx: Koa.Context, project?: { ref: string; byName: boolean }) => {
    const { filters, sort, paging } = listParams(ctx, auditFilterKeys, auditSortKeys);
    if (sort.length > 1) throw new DomainError('INVALID', 'sort by one key: op_time or -op_time');
    const descending = sort[0]?.descending ?? true;
    const { items, total, lastId } = await listAuditLogs(deps.db, principal(ctx), { filters, descending, paging, cursor: cursorOf(ctx) }, project);
    ctx.set('X-Total-Count', String(total));
    // Harbor's page links; "next" also carries a keyset cursor, so walking the pages costs
    // the same at page 10,000 as at page 1.
    const query = new URLSearchParams(ctx.querystring);
    query.delete('cursor');
    const links = (pageLinks(ctx.path, query, paging, total) ?? '').split(' , ').filter(Boolean);
    const next = links.findIndex((l) => l.endsWith('rel="next"'));
    if (next >= 0 && lastId !== undefined) links[next] = links[next].replace('>; rel="next"', `&cursor=${lastId}>; rel="next"`);
    if (links.length) ctx.set('Link', links.join(' , '));
    ctx.body = items;
  };
  // GET /audit-logs?q=operation=create,username=alice,op_time=[a~b]&sort=-op_time&page=&page_size=
  router.get('/audit-logs', async (ctx) => list(ctx));
  // GET /audit-logs/export?format=jsonl|csv&q=…: streamed, oldest first.
  router.get('/audit-logs/export', async (ctx) => {
    const format = queryParam(ctx, 'format') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') throw new DomainError('INVALID', 'format must be jsonl or csv');
    const stream = await exportAuditLogs(deps.db, principal(ctx), parseQuery(harborQ(ctx), auditFilterKeys), format);
    ctx.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="audit-log.${format}"`);
    ctx.body = stream;
  });
  // GET /audit-logs/status
  router.get('/audit-logs/status', async (ctx) => {
    ctx.body = await auditStatusFor(deps.db, principal(ctx), requestAudit.getStore()?.writer);
  });
  // GET /audit-logs/verify
  router.get('/audit-logs/verify', async (ctx) => {
    ctx.body = await verifyAuditChainFor(deps.db, principal(ctx));
  });
  // POST /audit-logs/purge {retention_hours, dry_run}
  router.post('/audit-logs/purge', async (ctx) => {
    ctx.body = await purgeAuditLogFor(deps.db, principal(ctx), await jsonBody(ctx));
  });
  // GET /projects/{project_name_or_id}/logs
  router.get('/projects/:project_name_or_id/logs', async (ctx) => list(ctx, { ref: ctx.params.project_name_or_id, byName: byName(ctx) }));
}
