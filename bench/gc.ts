// Garbage collection's rate: N unreferenced blobs (100,000 by default, lib/garbage.ts)
// collected by one run (their links, then the blobs and their bytes) on the filesystem
// store and on s3rver, with 1 and 4 workers; only the run is timed. Run: npm run bench:gc [-- --blobs N] [--only fs|s3] [--pace P] [--gate]
// (--gate: through the runner's load gate, gc/loadGate.ts, to see what its probes cost on a quiet machine)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openDatabase } from '../server/db/database.js';
import { migrate } from '../server/db/migrate.js';
import { LoadGate } from '../server/gc/loadGate.js';
import { collectGarbage } from '../server/registry/gc.js';
import type { BlobStore } from '../server/storage/blobStore.js';
import { FsBlobStore } from '../server/storage/fs/fsBlobStore.js';
import { S3BlobStore } from '../server/storage/s3/s3BlobStore.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { s3Client, testBucket } from '../test/helpers/s3.js';
import { seedGarbage } from './lib/garbage.js';

const { values } = parseArgs({ options: { blobs: { type: 'string' }, only: { type: 'string' }, pace: { type: 'string' }, gate: { type: 'boolean' } } });
// The runner's rest between batches (gc/runner.ts); 0 measures the collector flat out.
const pace = Number(values.pace ?? 0);
const total = Number(values.blobs ?? 100_000);
const log = (m: string) => process.stderr.write(`[gc-bench] ${m}\n`);

interface Row {
  store: string;
  workers: number;
  blobs: number;
  seconds: number;
}

async function measure(name: string, store: BlobStore, put: (key: string, bytes: Buffer) => Promise<void>, workers: number): Promise<Row> {
  const pgDb = await createTestDatabase();
  const db = openDatabase({ databaseUrl: pgDb.url, poolSize: 10 });
  try {
    await migrate(db);
    log(`${name}, ${workers} worker(s): writing ${total} blobs`);
    await seedGarbage(db, total, put, 'bench');
    log(`${name}, ${workers} worker(s): collecting`);
    const started = performance.now();
    const result = await collectGarbage(
      { db, store },
      {
        reviewDelayMs: 0,
        deleteUntagged: false,
        dryRun: false,
        workers,
        pace,
        gate: values.gate ? new LoadGate() : undefined,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    if (result.blobs !== total || result.links !== total) throw new Error(`collected ${result.links} links and ${result.blobs} blobs of ${total}`);
    const left = (await db.query<{ n: number }>('SELECT storage_used::int AS n FROM projects')).rows[0].n;
    if (left !== 0) throw new Error(`the project still counts ${left} bytes`);
    log(`${name}, ${workers} worker(s): ${seconds.toFixed(1)} s, ${(total / seconds).toFixed(0)} blobs/s`);
    return { store: name, workers, blobs: total, seconds };
  } finally {
    await db.close();
    await pgDb.drop();
  }
}

const rows: Row[] = [];
if (values.only !== 's3') {
  for (const workers of [1, 4]) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-gc-bench-'));
    const root = path.join(dir, 'blobs');
    const store = new FsBlobStore(root);
    const put = async (key: string, bytes: Buffer) => {
      const file = path.join(root, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
    };
    try {
      rows.push(await measure('filesystem', store, put, workers));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
if (values.only !== 'fs') {
  for (const workers of [1, 4]) {
    const { endpoint, bucket } = await testBucket();
    const client = s3Client(endpoint);
    const store = new S3BlobStore(client, bucket, 'berth/');
    const put = async (key: string, bytes: Buffer) => void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: `berth/${key}`, Body: bytes })));
    try {
      rows.push(await measure('s3rver', store, put, workers));
    } finally {
      client.destroy();
    }
  }
}
console.log('| store | workers | pace | blobs | seconds | blobs/s | blobs/hour |');
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  const rate = r.blobs / r.seconds;
  console.log(
    `| ${r.store} | ${r.workers} | ${pace}${values.gate ? ', gate' : ''} | ${r.blobs} | ${r.seconds.toFixed(1)} | ${rate.toFixed(0)} | ${((rate * 3600) / 1e6).toFixed(2)} M |`,
  );
}
process.exit(0);
