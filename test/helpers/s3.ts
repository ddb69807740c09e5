// A real S3-speaking server for tests: one s3rver child process per test process
// (s3rverMain.cjs), started on first use and killed when the process exits; each caller
// gets its own fresh bucket.
// BERTH_TEST_STORAGE=s3 makes every Berth process the tests start use it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, repoRoot } from './local.js';

// The SDK warns once per process that its 2027 releases need Node 22; the tests know.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const testStorage: 'fs' | 's3' = process.env.BERTH_TEST_STORAGE === 's3' ? 's3' : 'fs';
export const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

let started: Promise<string> | undefined;
/** Where the test process's s3rver keeps its files (a multipart upload's parts are in <bucket>/._S3rver_uploads/<id>). */
export let s3rverDirectory = '';
let child: ChildProcess | undefined;

function startS3rver(): Promise<string> {
  started ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-s3rver-'));
    s3rverDirectory = dir;
    const port = await freePort();
    child = spawn(process.execPath, [path.join(repoRoot, 'test/helpers/s3rverMain.cjs'), dir, String(port)], { stdio: 'ignore' });
    process.on('exit', () => {
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(endpoint);
        return endpoint;
      } catch {
        if (i > 100) throw new Error('s3rver did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  return started;
}

/** The s3rver process's id, once started (the benchmark measures its CPU). */
export function s3rverPid(): number | undefined {
  return child?.pid;
}

export function s3Client(endpoint: string): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: s3Credentials });
}

/** A new empty bucket on the test process's s3rver. */
export async function testBucket(): Promise<{ endpoint: string; bucket: string }> {
  const endpoint = await startS3rver();
  const bucket = `berth-${randomBytes(6).toString('hex')}`;
  const client = s3Client(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return { endpoint, bucket };
}

/** The environment that points a Berth process at a fresh test bucket. */
export async function s3Env(): Promise<Record<string, string>> {
  const { endpoint, bucket } = await testBucket();
  return {
    BERTH_STORAGE: 's3',
    BERTH_S3_ENDPOINT: endpoint,
    BERTH_S3_BUCKET: bucket,
    BERTH_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
    // The SDK warns about Node 20 support in 2027 on every start; the tests know.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
