// How sizes, times and digests read in the console.
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// Harbor's (Go's) zero time, which the API sends for "never" (an artifact never pulled).
const neverTime = '0001-01-01T00:00:00.000Z';

/** A time the API may send as Harbor's zero time, shown as `never` then. */
export function whenOr(iso: string, never: string): string {
  return iso === neverTime ? never : when(iso);
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
