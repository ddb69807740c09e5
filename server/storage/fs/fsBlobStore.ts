// Filesystem driver. Every object is written as <key>.tmp-<random> in its final directory,
// fsynced, renamed over the key and the directory fsynced, so a reader (or a crash) sees
// either nothing or the whole object, never a torn one.
import { randomBytes } from 'node:crypto';
import { close, createWriteStream, type Dirent, fsync, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, ByteRange, ObjectInfo, ObjectWriter } from '../blobStore.js';
import { ObjectNotFoundError } from '../blobStore.js';
import { assertKey } from '../keys.js';

const readChunk = 1 << 20;

export class FsBlobStore implements BlobStore {
  readonly name = 'fs';
  constructor(readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, ...assertKey(key).split('/'));
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(this.file(key));
      return st.isFile() ? { size: st.size } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file(key), 'r');
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw err;
    }
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: readChunk });
  }

  async writer(key: string): Promise<ObjectWriter> {
    const target = this.file(key);
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    // A 1 MiB buffer, not the default 16 KiB: with 16 KiB every 64 KiB read from the socket
    // filled it, so the upload's pipeline paused and resumed the socket once per read.
    // Measured with npm run bench (docs/design/profiles/README.md): push 239 -> 384 MiB/s,
    // CPU per GiB pushed 5.36 -> 3.68 s.
    const stream: WriteStream = createWriteStream(tmp, { flags: 'wx', autoClose: false, highWaterMark: 1 << 20 });
    let state: 'open' | 'committed' | 'cancelled' = 'open';
    const finished = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', reject);
    });
    finished.catch(() => undefined); // observed in commit/cancel
    const opened = new Promise<number>((resolve, reject) => {
      const fd = (stream as unknown as { fd: number | null }).fd;
      if (typeof fd === 'number') resolve(fd);
      stream.once('open', resolve);
      stream.once('error', reject);
    });
    opened.catch(() => undefined);
    let fdClosed = false;
    // autoClose is off so the fd outlives 'finish' for the fsync; close it ourselves, once.
    const closeFd = async () => {
      const fd = await opened.catch(() => undefined);
      if (fd === undefined || fdClosed) return;
      fdClosed = true;
      await new Promise<void>((resolve) => close(fd, () => resolve()));
    };
    return {
      stream,
      commit: async () => {
        if (state !== 'open') throw new Error(`writer already ${state}`);
        await finished;
        const fd = await opened;
        // fsync before rename: the rename must never publish bytes still only in the page cache.
        await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
        await closeFd();
        const { size } = await fs.stat(tmp);
        await fs.rename(tmp, target);
        await fsyncDir(dir);
        state = 'committed';
        return { size };
      },
      cancel: async () => {
        if (state !== 'open') return;
        state = 'cancelled';
        if (!stream.destroyed && !stream.writableFinished) stream.destroy();
        await closeFd().catch(() => undefined);
        await fs.rm(tmp, { force: true });
      },
    };
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.file(from);
    const dst = this.file(to);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    try {
      await fs.rename(src, dst);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(from);
      throw err;
    }
    await fsyncDir(path.dirname(dst));
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
    await fs.rm(this.file(prefix.slice(0, -1)), { recursive: true, force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
    const base = this.file(prefix.slice(0, -1));
    let entries: Dirent[];
    try {
      entries = await fs.readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile() || e.name.includes('.tmp-')) continue;
      const rel = path.relative(this.root, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
      yield rel.split(path.sep).join('/');
    }
  }

  async capacity(): Promise<{ total: number; free: number }> {
    await fs.mkdir(this.root, { recursive: true });
    const st = await fs.statfs(this.root);
    // bavail, not bfree: what this (unprivileged) process may still write.
    return { total: st.blocks * st.bsize, free: st.bavail * st.bsize };
  }

  async check(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    const probe = path.join(this.root, `.health-${process.pid}`);
    await fs.writeFile(probe, 'ok');
    await fs.rm(probe, { force: true });
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
