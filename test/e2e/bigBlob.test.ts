// "Nothing buffers a whole blob": a 2 GiB layer (512 MiB on S3) goes up in one streaming PATCH and comes
// back down while every Berth process (primary and workers) is watched through /proc.
// Any code path that collects a body into memory would push a process far past the
// limit. 2 GiB is also just past 2^31, so 32-bit offset or length arithmetic shows up in
// the Range header, Content-Length and Content-Range checks. Berth is closed by default:
// every request carries the admin's Basic credentials, which /v2 accepts without a token,
// and the blob goes into project e2e, created first.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { request, type Response } from '../../bench/lib/http.js';
import { processTree, readRss, TreeMemorySampler, type TreeMemoryPeak } from '../../bench/lib/procTree.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { testStorage } from '../helpers/s3.js';

const MiB = 1024 * 1024;
// On the S3 tier, 512 MiB: s3rver stores, joins and copies every byte in JavaScript, so
// 2 GiB would time it rather than Berth; 512 MiB is still far above the RSS limit.
const SIZE = testStorage === 's3' ? 512 * MiB : 2 * 1024 * MiB;
const RSS_LIMIT = 300 * MiB;
const REPO = 'e2e/bigblob';
const AUTH = { Authorization: basic(admin) };

/**
 * The blob as a function of its offset: a random 64-byte header (so every run's blob is
 * new to the store) then a random 1 MiB pattern repeated. Streaming it costs no memory
 * beyond the pattern, and any byte range can be recomputed without keeping the blob.
 */
class PatternBlob {
  readonly header = randomBytes(64);
  readonly pattern = randomBytes(MiB);
  private digestValue: string | undefined;

  constructor(readonly size: number) {}

  /** Known once chunks() has been read to the end: it is computed while generating. */
  get digest(): string {
    if (!this.digestValue) throw new Error('digest read before the blob was generated');
    return this.digestValue;
  }

  *chunks(): Generator<Buffer> {
    const hash = createHash('sha256');
    // Chunks end at header/pattern boundaries so each is a view, never a copy; views are
    // safe to hand out because the header and pattern never change.
    for (let at = 0; at < this.size; ) {
      const boundary = at < this.header.length ? this.header.length : at + this.pattern.length - ((at - this.header.length) % this.pattern.length);
      const chunk = this.slice(at, Math.min(boundary, this.size));
      hash.update(chunk);
      at += chunk.length;
      yield chunk;
    }
    this.digestValue = `sha256:${hash.digest('hex')}`;
  }

  /** Bytes [start, end): a view when the range stays within the header or one pattern repeat. */
  slice(start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (let at = start; at < end; ) {
      if (at < this.header.length) {
        parts.push(this.header.subarray(at, Math.min(end, this.header.length)));
      } else {
        const inPattern = (at - this.header.length) % this.pattern.length;
        parts.push(this.pattern.subarray(inPattern, Math.min(this.pattern.length, inPattern + (end - at))));
      }
      at += parts[parts.length - 1].length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

const show = (res: Response) => `${res.status} ${JSON.stringify(res.headers)} ${res.body.subarray(0, 300).toString('utf8')}`;

describe(`a ${SIZE / MiB} MiB blob streams through Berth without being buffered (${testStorage})`, function () {
  this.timeout(600_000);

  let berth: BerthProcess;
  let sampler: TreeMemorySampler;
  const startRss = new Map<number, number>();
  const blob = new PatternBlob(SIZE);

  before(async () => {
    // The embedded default (its PostgreSQL is in the tree too), as `npm start` runs it.
    berth = await startBerth({ database: 'embedded' });
    await createProject(berth.url, 'e2e');
    for (const p of await processTree(berth.pid)) startRss.set(p.pid, (await readRss(p.pid))?.rss ?? 0);
    sampler = new TreeMemorySampler(berth.pid, 100);
    sampler.start();
  });

  after(async () => {
    await sampler?.stop();
    await berth?.dispose();
  });

  it('accepts it monolithic-style: POST, one streaming PATCH, PUT ?digest=', async () => {
    const started = await request('POST', `${berth.url}/v2/${REPO}/blobs/uploads/`, { headers: AUTH });
    assert.equal(started.status, 202, `POST /v2/${REPO}/blobs/uploads/: ${show(started)}`);
    assert.ok(started.headers.location, 'POST: no Location');
    const patchUrl = new URL(started.headers.location, berth.url);

    const patched = await request('PATCH', patchUrl.toString(), {
      headers: { ...AUTH, 'Content-Type': 'application/octet-stream', 'Content-Length': String(SIZE) },
      body: blob.chunks(),
      timeoutMs: 300_000,
    });
    assert.equal(patched.status, 202, `PATCH ${patchUrl}: ${show(patched)}`);
    assert.equal(patched.headers.range, `0-${SIZE - 1}`, `PATCH ${patchUrl}: Range must cover all ${SIZE} bytes`);
    assert.ok(patched.headers.location, 'PATCH: no Location');

    const putUrl = new URL(patched.headers.location, berth.url);
    putUrl.searchParams.set('digest', blob.digest);
    const put = await request('PUT', putUrl.toString(), { headers: AUTH, timeoutMs: 300_000 });
    assert.equal(put.status, 201, `PUT ${putUrl}: ${show(put)}`);
    assert.equal(put.headers['docker-content-digest'], blob.digest);
  });

  it('reports its size and digest on HEAD', async () => {
    const url = `${berth.url}/v2/${REPO}/blobs/${blob.digest}`;
    const head = await request('HEAD', url, { headers: AUTH });
    assert.equal(head.status, 200, `HEAD ${url}: ${show(head)}`);
    assert.equal(head.headers['content-length'], String(SIZE));
    assert.equal(head.headers['docker-content-digest'], blob.digest);
  });

  it('streams it back byte for byte', async () => {
    const url = `${berth.url}/v2/${REPO}/blobs/${blob.digest}`;
    const hash = createHash('sha256');
    const res = await request('GET', url, { headers: AUTH, maxBody: 1024, onChunk: (c) => hash.update(c), timeoutMs: 300_000 });
    assert.equal(res.status, 200, `GET ${url}: ${show(res)}`);
    assert.equal(res.headers['content-length'], String(SIZE));
    assert.equal(res.bytes, SIZE);
    assert.equal(`sha256:${hash.digest('hex')}`, blob.digest);
  });

  it('serves a Range near its end with 206', async () => {
    const url = `${berth.url}/v2/${REPO}/blobs/${blob.digest}`;
    // Starts mid-pattern and crosses a pattern boundary, so an off-by-some offset shows.
    const start = SIZE - 3 * MiB - 12_345;
    const end = SIZE - 1;
    const res = await request('GET', url, { headers: { ...AUTH, Range: `bytes=${start}-${end}` }, maxBody: 4 * MiB });
    assert.equal(res.status, 206, `GET ${url} Range bytes=${start}-${end}: ${show(res)}`);
    assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${SIZE}`);
    assert.equal(res.headers['content-length'], String(end - start + 1));
    assert.ok(res.body.equals(blob.slice(start, end + 1)), 'range body differs from the blob at those offsets');
  });

  it(`kept every Berth process under ${RSS_LIMIT / MiB} MiB RSS`, async () => {
    await sampler.stop();
    await sampler.sample(); // VmHWM read now also covers spikes between samples
    const peak: TreeMemoryPeak = sampler.result();
    const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
    const perProcess = peak.processes.map((p) => `${p.comm}[${p.pid}] ${mib(p.peakRssBytes)} (${mib(startRss.get(p.pid) ?? 0)} at start)`);
    console.log(
      `      peak RSS per process: ${perProcess.join(', ')}; whole tree ${mib(peak.peakTotalBytes)} RSS, ${mib(peak.peakPssTotalBytes)} PSS, over ${peak.samples} samples`,
    );
    assert.ok(peak.samples >= 10, `only ${peak.samples} memory samples were taken`);
    for (const p of peak.processes) {
      const measured = p.peakRssBytes;
      assert.ok(measured < RSS_LIMIT, `${p.comm}[${p.pid}] reached ${mib(p.peakRssBytes)} RSS (${mib(startRss.get(p.pid) ?? 0)} at start)`);
    }
  });
});
