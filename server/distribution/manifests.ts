// /v2 manifest routes (distribution-spec: "Pulling manifests", "Pushing manifests", "Deleting manifests").
import type Koa from 'koa';
import { artifactResource, recordLater } from '../audit/record.js';
import type { RegistryDeps } from '../registry/deps.js';
import { deleteManifest, getManifest, putManifest } from '../registry/manifests.js';
import { maxManifestBytes } from '../registry/mediaTypes.js';
import { emptyBody, mediaTypeOf, readSmallRequestBody, routeParam } from './params.js';
import { projectOf } from '../lib/references.js';
import type { Principal } from '../lib/principal.js';
import { isScanner } from '../registry/pullGate.js';

// GET|HEAD /v2/<name>/manifests/<reference>
export async function getManifestRoute(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const name = routeParam(ctx, 'name');
  const reference = routeParam(ctx, 'reference');
  const m = await getManifest(deps, name, reference);
  // A pull is a GET of a manifest (HEAD only asks whether it changed), recorded off the request path.
  if (ctx.method === 'GET') {
    const tag = reference.includes(':') ? undefined : reference;
    const principal = ctx.state.principal as Principal;
    await deps.gate?.check(principal, name, m, tag);
    recordLater({ operation: 'pull', resourceType: 'artifact', resource: artifactResource(name, m.digest, tag), projectName: projectOf(name) });
    // A scanner reading an image is not a pull that retention's "last pulled" should see.
    if (!isScanner(principal)) deps.pulls?.note(name, m.digest, tag);
  }
  ctx.set('Content-Type', m.mediaType);
  ctx.set('Docker-Content-Digest', m.digest);
  ctx.set('ETag', `"${m.digest}"`);
  if (m.subjectDigest) ctx.set('OCI-Subject', m.subjectDigest);
  ctx.status = 200;
  ctx.body = m.payload; // Koa sends only headers (with this Content-Length) for HEAD
}

// PUT /v2/<name>/manifests/<reference>
export async function putManifestRoute(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const name = routeParam(ctx, 'name');
  const reference = routeParam(ctx, 'reference');
  const payload = await readSmallRequestBody(ctx, maxManifestBytes);
  const saved = await putManifest(deps, name, reference, mediaTypeOf(ctx.get('Content-Type')), payload);
  emptyBody(ctx, 201);
  ctx.set('Location', `/v2/${name}/manifests/${saved.digest}`);
  ctx.set('Docker-Content-Digest', saved.digest);
  if (saved.subjectDigest) ctx.set('OCI-Subject', saved.subjectDigest);
}

// DELETE /v2/<name>/manifests/<reference> — by digest: the manifest and its tags; by tag: the tag.
export async function deleteManifestRoute(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  await deleteManifest(deps, routeParam(ctx, 'name'), routeParam(ctx, 'reference'));
  emptyBody(ctx, 202);
}
