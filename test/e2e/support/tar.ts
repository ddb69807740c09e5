// A minimal ustar writer, enough to build OCI layers and image archives in memory with
// fixed metadata, so their digests depend on content only.

export interface TarEntry {
  path: string;
  /** Omitted for directories. */
  content?: Buffer;
  mode?: number;
}

function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for this writer: ${name}`);
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, len, 'utf8');
  const octal = (n: number, len: number) => `${n.toString(8).padStart(len - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime: fixed, for reproducible digests
  put('        ', 148, 8); // checksum is computed with this field as spaces
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

export function tarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.content === undefined) {
      parts.push(header(e.path.endsWith('/') ? e.path : `${e.path}/`, 0, e.mode ?? 0o755, '5'));
    } else {
      parts.push(header(e.path, e.content.length, e.mode ?? 0o644, '0'), e.content);
      const pad = (512 - (e.content.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024)); // end-of-archive marker
  return Buffer.concat(parts);
}

/** Directory entries for every parent of the files, then the files, in a stable order. */
export function entriesFor(files: Map<string, Buffer>): TarEntry[] {
  const dirs = new Set<string>();
  for (const p of files.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...[...dirs].sort().map((d) => ({ path: d })), ...[...files.keys()].sort().map((p) => ({ path: p, content: files.get(p)! }))];
}
