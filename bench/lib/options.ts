// Command-line settings for `npm run bench -- <options>`; defaults fit a 2-CPU machine
// in well under three minutes.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  database: 'pg' | 'embedded';
  workers: number;
  totalMiB: number;
  concurrency: number;
  pullRounds: number;
  /** Whole runs (every registry once each); the tables give each number's median. */
  runs: number;
  images: number;
  connections: number;
  durationS: number;
  load: 'wrk' | 'node' | 'auto';
  /** Which blob stores Berth is measured on. */
  storage: 'fs' | 's3' | 'both';
  only?: 'berth' | 'distribution';
  writeReadme: boolean;
}

export const usage = `usage: npm run bench -- [options]
  --db pg|embedded      Berth's database (default pg, or $BENCH_DB): a fresh PostgreSQL database
                        on 127.0.0.1:5432, or Berth's embedded PostgreSQL (no DATABASE_URL)
  --workers N           BERTH_WORKERS (default 2)
  --total-mib N         MiB of blobs pushed to each registry (default 512)
  --concurrency N       blob pushes/pulls in flight (default 4)
  --pull-rounds N       times each blob is pulled (default 2)
  --runs N              whole runs, registries alternating; tables show medians (default 3)
  --images N            small images (config, layer, manifest) pushed (default 200)
  --connections N       concurrent connections for manifest GETs (default 64)
  --duration S          seconds of manifest GETs (default 10; a 2 s warm-up precedes it)
  --load wrk|node       manifest load generator (default: wrk if installed)
  --storage fs|s3|both  Berth's blob store: the filesystem, S3 (s3rver started by the bench),
                        or both (default; the filesystem run is the one compared with Distribution)
  --only berth|distribution   measure one registry (the README is then left alone)
  --no-readme           print results without updating bench/README.md`;

function int(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number in ${min}..${max}, got ${text}`);
  return n;
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${text}`);
  return text as T;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      db: { type: 'string' },
      workers: { type: 'string' },
      'total-mib': { type: 'string' },
      concurrency: { type: 'string' },
      'pull-rounds': { type: 'string' },
      runs: { type: 'string' },
      images: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      load: { type: 'string' },
      storage: { type: 'string' },
      only: { type: 'string' },
      'no-readme': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const only = oneOf('only', values.only, ['berth', 'distribution'] as const);
  return {
    database: oneOf('db', values.db ?? env.BENCH_DB, ['pg', 'embedded'] as const) ?? 'pg',
    workers: int('workers', values.workers, 2, 1, 64),
    totalMiB: int('total-mib', values['total-mib'], 512, 1, 8192),
    concurrency: int('concurrency', values.concurrency, 4, 1, 64),
    pullRounds: int('pull-rounds', values['pull-rounds'], 2, 1, 20),
    runs: int('runs', values.runs, 3, 1, 9),
    images: int('images', values.images, 200, 1, 100_000),
    connections: int('connections', values.connections, 64, 1, 1024),
    durationS: int('duration', values.duration, 10, 1, 120),
    load: oneOf('load', values.load, ['wrk', 'node'] as const) ?? 'auto',
    storage: oneOf('storage', values.storage, ['fs', 's3', 'both'] as const) ?? 'both',
    only,
    writeReadme: !values['no-readme'] && only === undefined,
  };
}
