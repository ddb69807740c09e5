// Vulnerability scanning (Harbor v2 shapes): scanner registrations (/scanners…), a project's
// scanner, scans of artifacts and their reports, "scan all" with its schedule and metrics,
// and the system CVE allowlist.
import type Router from '@koa/router';
import type Koa from 'koa';
import { getSystemAllowlist, putSystemAllowlist } from '../scanning/allowlists.js';
import {
  createScannerRegistration,
  deleteScannerRegistration,
  getProjectScanner,
  getScannerRegistration,
  listScannerRegistrations,
  pingScanner,
  projectScannerCandidates,
  scannerMetadata,
  setDefaultScannerRegistration,
  setProjectScannerRegistration,
  updateScannerRegistration,
  type ScannerDeps,
} from '../scanning/scanners.js';
import {
  artifactVulnerabilities,
  getScanAllMetrics,
  getScanAllSchedule,
  postScanAllSchedule,
  putScanAllSchedule,
  scanArtifact,
  stopArtifactScan,
} from '../scanning/scans.js';
import { byName, jsonBody, principal } from './auth.js';
import { pagingOf, respondPage } from './listing.js';
import { repositoryName } from './repositories.js';
import { respondCreated, respondDone } from './respond.js';

const artifactPath = '/projects/:project_name/repositories/:repository_name/artifacts/:reference';

function place(ctx: Koa.Context) {
  return { project: ctx.params.project_name as string, repository: repositoryName(ctx), reference: ctx.params.reference as string };
}

function accepted(ctx: Koa.Context): void {
  ctx.status = 202;
  ctx.body = '';
}

export function registerScanning(router: Router, deps: ScannerDeps): void {
  const { db } = deps;
  // GET /scanners
  router.get('/scanners', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listScannerRegistrations(db, principal(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /scanners (ScannerRegistrationReq) → 201, Location /api/v2.0/scanners/{uuid}
  router.post('/scanners', async (ctx) => {
    const uuid = await createScannerRegistration(deps, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/scanners/${uuid}`);
  });
  // NOTE: before /scanners/:registration_id, which would take "ping" as an id.
  // POST /scanners/ping (ScannerRegistrationSettings) → the adapter's metadata
  router.post('/scanners/ping', async (ctx) => {
    ctx.body = await pingScanner(deps, principal(ctx), await jsonBody(ctx));
  });
  // GET /scanners/{registration_id}
  router.get('/scanners/:registration_id', async (ctx) => {
    ctx.body = await getScannerRegistration(db, principal(ctx), ctx.params.registration_id);
  });
  // PUT /scanners/{registration_id}
  router.put('/scanners/:registration_id', async (ctx) => {
    await updateScannerRegistration(deps, principal(ctx), ctx.params.registration_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // PATCH /scanners/{registration_id} {is_default: true}
  router.patch('/scanners/:registration_id', async (ctx) => {
    await setDefaultScannerRegistration(db, principal(ctx), ctx.params.registration_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /scanners/{registration_id} → the deleted registration
  router.delete('/scanners/:registration_id', async (ctx) => {
    ctx.body = await deleteScannerRegistration(db, principal(ctx), ctx.params.registration_id);
  });
  // GET /scanners/{registration_id}/metadata
  router.get('/scanners/:registration_id/metadata', async (ctx) => {
    ctx.body = await scannerMetadata(deps, principal(ctx), ctx.params.registration_id);
  });
  // GET /projects/{project_name_or_id}/scanner
  router.get('/projects/:project_name_or_id/scanner', async (ctx) => {
    ctx.body = await getProjectScanner(db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
  });
  // PUT /projects/{project_name_or_id}/scanner {uuid}
  router.put('/projects/:project_name_or_id/scanner', async (ctx) => {
    await setProjectScannerRegistration(db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // GET /projects/{project_name_or_id}/scanner/candidates
  router.get('/projects/:project_name_or_id/scanner/candidates', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await projectScannerCandidates(db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // POST …/artifacts/{reference}/scan → 202
  router.post(`${artifactPath}/scan`, async (ctx) => {
    await scanArtifact(db, principal(ctx), place(ctx));
    accepted(ctx);
  });
  // POST …/artifacts/{reference}/scan/stop → 202
  router.post(`${artifactPath}/scan/stop`, async (ctx) => {
    await stopArtifactScan(db, principal(ctx), place(ctx));
    accepted(ctx);
  });
  // GET …/artifacts/{reference}/additions/vulnerabilities
  router.get(`${artifactPath}/additions/vulnerabilities`, async (ctx) => {
    ctx.body = await artifactVulnerabilities(db, principal(ctx), place(ctx));
  });
  // GET /system/scanAll/schedule
  router.get('/system/scanAll/schedule', async (ctx) => {
    ctx.body = await getScanAllSchedule(db, principal(ctx));
  });
  // POST /system/scanAll/schedule {schedule: {type: Manual}} scans now → 201; other types set the schedule
  router.post('/system/scanAll/schedule', async (ctx) => {
    await postScanAllSchedule(db, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx);
  });
  // PUT /system/scanAll/schedule {schedule: {type: None|Hourly|Daily|Weekly|Custom, cron}}
  router.put('/system/scanAll/schedule', async (ctx) => {
    await putScanAllSchedule(db, principal(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // GET /scans/all/metrics
  router.get('/scans/all/metrics', async (ctx) => {
    ctx.body = await getScanAllMetrics(db, principal(ctx));
  });
  // GET /scans/schedule/metrics
  router.get('/scans/schedule/metrics', async (ctx) => {
    ctx.body = await getScanAllMetrics(db, principal(ctx), 'SCHEDULE');
  });
  // GET /system/CVEAllowlist
  router.get('/system/CVEAllowlist', async (ctx) => {
    ctx.body = await getSystemAllowlist(db, principal(ctx));
  });
  // PUT /system/CVEAllowlist {items: [{cve_id}], expires_at}
  router.put('/system/CVEAllowlist', async (ctx) => {
    await putSystemAllowlist(db, principal(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
}
