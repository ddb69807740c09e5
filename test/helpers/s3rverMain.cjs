// The tests' S3 server: s3rver (last released 2021) with two repairs, and nothing else:
// - the one call Berth makes that it lacks, AbortMultipartUpload, done the way S3 does it
//   (the parts go; 404 NoSuchUpload for an unknown id);
// - its delete removes directories left empty, racing a concurrent write into the same
//   directory, whose unhandled ENOENT then kills the server (seen under the benchmark's
//   concurrent pushes). S3 has no directories; here empty ones simply stay.
// Usage: node s3rverMain.cjs <directory> <port>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const S3rver = require('s3rver');

const [directory, port] = process.argv.slice(2);
const app = new S3rver({ directory, address: '127.0.0.1', port: Number(port), silent: true });
app.store.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((resource) =>
      fs.promises.unlink(this.getResourcePath(bucket, key, resource)).catch((err) => {
        if (err.code !== 'ENOENT') throw err;
      }),
    ),
  );
};
app.middleware.unshift(async (ctx, next) => {
  const bucket = /^\/([^/]+)\/./.exec(ctx.path)?.[1];
  const uploadId = ctx.query.uploadId;
  if (ctx.method !== 'DELETE' || !bucket || typeof uploadId !== 'string') return next();
  const dir = path.join(app.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !fs.existsSync(dir)) {
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  ctx.status = 204;
});
app.run().catch((err) => {
  console.error(err);
  process.exit(1);
});
