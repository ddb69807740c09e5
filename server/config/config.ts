// Settings come from the environment, optionally from a JSON config file named by
// BERTH_CONFIG (same keys as the environment; the environment wins). Anything unknown or
// invalid stops the start with a message naming the setting, because a typo in a
// deployment must not silently fall back to a default.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { authEnvName, authKeyOfEnv, authSettings, parseAuthSettingText, type AuthSettingKey } from './authSettings.js';

const intFrom = (min: number, max: number) => z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

// Durations are written as 30s, 15m, 24h or 7d so operators need not count seconds.
const duration = (minMs: number) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 90s, 15m, 24h or 7d')
    .transform((v) => {
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
      return Number(m[1]) * unit;
    })
    .pipe(z.number().min(minMs, `must be at least ${minMs / 1000}s`));

/** Every setting Berth reads, with its default. The README's table is generated from the same names. */
export const settings = {
  PORT: { schema: intFrom(0, 65535), default: '5000', help: 'TCP port the server listens on' },
  BERTH_HOST: { schema: z.string().min(1), default: '0.0.0.0', help: 'address the server binds' },
  BERTH_DATA_DIR: { schema: z.string().min(1), default: './data', help: 'embedded database and filesystem blob store live here' },
  DATABASE_URL: {
    schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    default: undefined,
    help: 'PostgreSQL connection URL; unset means a private PostgreSQL that Berth runs under BERTH_DATA_DIR/postgres',
    secret: true,
  },
  BERTH_EMBEDDED_DB_USER: {
    schema: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name'),
    default: 'berth',
    help: 'OS user of the embedded PostgreSQL when Berth runs as root (created if missing; PostgreSQL refuses to run as root)',
  },
  BERTH_DB_POOL_SIZE: { schema: intFrom(1, 500), default: '20', help: 'PostgreSQL connections per worker process' },
  BERTH_STORAGE: { schema: z.enum(['fs', 's3']), default: 'fs', help: 'blob store driver: fs (BERTH_STORAGE_DIR) or s3 (BERTH_S3_*)' },
  BERTH_STORAGE_DIR: { schema: z.string().min(1), default: undefined, help: 'filesystem blob store root (default BERTH_DATA_DIR/blobs)' },
  BERTH_S3_BUCKET: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    default: undefined,
    help: 'S3 bucket of the blobs (BERTH_STORAGE=s3); credentials come from the AWS chain (AWS_ACCESS_KEY_ID, profiles, roles)',
  },
  BERTH_S3_ENDPOINT: {
    schema: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
    default: undefined,
    help: 'S3 endpoint for MinIO, Ceph RGW and others (unset: AWS)',
  },
  BERTH_S3_REGION: { schema: z.string().regex(/^[a-z0-9-]+$/, 'must be a region name'), default: 'us-east-1', help: 'S3 region' },
  BERTH_S3_FORCE_PATH_STYLE: { schema: bool, default: 'false', help: 'address the bucket in the path (MinIO, Ceph) rather than the host name' },
  BERTH_S3_REDIRECT: { schema: bool, default: 'false', help: 'answer blob pulls with a redirect to a pre-signed S3 URL (clients must reach the store)' },
  BERTH_S3_PREFIX: {
    schema: z.string().regex(/^([a-z0-9][a-z0-9._-]*\/)*$/, 'must be empty or end in / (e.g. berth/)'),
    default: undefined,
    help: 'key prefix inside the bucket, for sharing one bucket',
  },
  BERTH_WORKERS: {
    schema: intFrom(1, 256),
    default: undefined,
    help: 'worker processes behind the port (default: number of CPUs)',
  },
  BERTH_UPLOAD_MAX_AGE: { schema: duration(60_000), default: '24h', help: 'upload sessions idle longer than this are purged' },
  BERTH_UPLOAD_PURGE_INTERVAL: { schema: duration(1000), default: '1h', help: 'how often abandoned uploads are looked for' },
  BERTH_GC_REVIEW_DELAY: {
    schema: duration(0),
    default: '24h',
    help: 'garbage collection leaves what became unreferenced this recently (a push in progress, a tag deleted by mistake)',
  },
  BERTH_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    help: 'log level',
  },
  BERTH_ACCESS_LOG: { schema: bool, default: 'false', help: 'log every request (off by default: it costs throughput)' },
  BERTH_METRICS: { schema: bool, default: 'true', help: 'serve Prometheus metrics at /metrics (unauthenticated: restrict it at the proxy)' },
  BERTH_SHUTDOWN_TIMEOUT: { schema: duration(0), default: '30s', help: 'how long in-flight requests get on SIGTERM' },
  BERTH_ADMIN_PASSWORD: {
    schema: z.string().min(8, 'must be at least 8 characters'),
    default: undefined,
    help: 'password of the admin user created at first start (unset: a random one is generated and printed once)',
    secret: true,
  },
  BERTH_EXTERNAL_URL: {
    schema: z.string().regex(/^https?:\/\/[^/]+$/, 'must be a URL like https://registry.example.com, without a path'),
    default: undefined,
    help: 'the URL clients reach Berth at (token realm); unset: taken from each request',
  },
  BERTH_TOKEN_SERVICE: { schema: z.string().regex(/^[a-zA-Z0-9._:-]+$/, 'must be a simple name'), default: 'berth', help: 'service name in registry tokens' },
  BERTH_TOKEN_EXPIRATION: { schema: duration(60_000), default: '30m', help: 'lifetime of registry tokens' },
  BERTH_SESSION_TIMEOUT: { schema: duration(60_000), default: '60m', help: 'console sessions end after this long without a request' },
  BERTH_PROJECT_CREATION: {
    schema: z.enum(['everyone', 'adminonly']),
    default: 'everyone',
    help: 'who may create projects: every user, or system administrators only',
  },
  BERTH_STORAGE_PER_PROJECT: {
    schema: z
      .string()
      .regex(/^(-1|\d{1,18})$/, 'must be a number of bytes, or -1 for unlimited')
      .transform(Number),
    default: '-1',
    help: 'storage limit of new projects in bytes (-1: unlimited)',
  },
  BERTH_AUDIT_LOG: { schema: bool, default: 'true', help: 'record the audit log (false only to measure what it costs)' },
  BERTH_AUDIT_RETENTION: { schema: duration(0), default: '365d', help: 'audit rows older than this are purged hourly (0d: kept forever)' },
  BERTH_AUDIT_SYSLOG: {
    schema: z.string().regex(/^(udp|tcp):\/\/[^/:]+(:\d{1,5})?$/, 'must be udp://host:port or tcp://host:port'),
    default: undefined,
    help: 'forward every audit row to this syslog server (RFC 5424)',
  },
  BERTH_TRUSTED_PROXIES: {
    schema: z.string().regex(/^[0-9a-fA-F.:/, a-z]+$/, 'must be a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal'),
    default: undefined,
    help: 'proxies whose X-Forwarded-For gives the client address (audit log, login throttling) and whose X-Request-Id becomes the request id',
  },
  BERTH_SECRET_KEY: {
    schema: z.string().regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)'),
    default: undefined,
    help: 'key that encrypts stored registry credentials (unset: a key file under BERTH_DATA_DIR, created at first start)',
    secret: true,
  },
  BERTH_REPLICATION_ALLOW: {
    schema: z.string().regex(/^\s*(loopback|private)\s*(,\s*(loopback|private)\s*)*$/, 'must be loopback, private or both, comma-separated'),
    default: undefined,
    help: 'besides public addresses, the networks replication may reach: loopback, private (link-local and metadata addresses never)',
  },
  BERTH_REPLICATION_WORKER: {
    schema: bool,
    default: 'true',
    help: "run a replication worker in the server's main process (set false where `npm run worker` processes do the work)",
  },
  BERTH_REPLICATION_CONCURRENCY: { schema: intFrom(1, 64), default: '4', help: 'replication tasks one worker runs at once' },
  BERTH_REPLICATION_LEASE: {
    schema: duration(3000),
    default: '30s',
    help: 'a replication task whose worker has not checked in for this long is taken by another worker',
  },
  BERTH_REPLICATION_LOCAL_URL: {
    schema: z.string().regex(/^https?:\/\/[^/]+\/?$/, 'must be http(s)://host:port'),
    default: undefined,
    help: "how replication workers reach this Berth's /v2 (default http://127.0.0.1:PORT)",
  },
  BERTH_CONFIG: { schema: z.string().min(1), default: undefined, help: 'optional JSON file with any of these settings' },
} as const;

type Settings = typeof settings;
type Parsed<K extends keyof Settings> = z.output<Settings[K]['schema']>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  dbPoolSize: number;
  embeddedDbUser: string;
  storage: 'fs' | 's3';
  storageDir: string;
  s3?: { bucket: string; endpoint?: string; region: string; forcePathStyle: boolean; prefix: string; redirect: boolean };
  workers: number;
  uploadMaxAgeMs: number;
  uploadPurgeIntervalMs: number;
  gcReviewDelayMs: number;
  logLevel: Parsed<'BERTH_LOG_LEVEL'>;
  accessLog: boolean;
  metrics: boolean;
  shutdownTimeoutMs: number;
  adminPassword?: string;
  externalUrl?: string;
  tokenService: string;
  tokenExpirationMs: number;
  sessionTimeoutMs: number;
  projectCreation: 'everyone' | 'adminonly';
  storagePerProject: number;
  auditLog: boolean;
  auditRetentionMs: number;
  auditSyslog?: string;
  trustedProxies: string[];
  secretKey?: string;
  replicationAllow: string[];
  replicationWorker: boolean;
  replicationConcurrency: number;
  replicationLeaseMs: number;
  replicationLocalUrl: string;
  /** Sign-in settings pinned by the environment (BERTH_LDAP_URL, …), parsed; they win over the stored ones. */
  authOverrides: Partial<Record<AuthSettingKey, unknown>>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function trustedProxies(text: string | undefined): string[] {
  const list = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new ConfigError(`BERTH_TRUSTED_PROXIES=${JSON.stringify(text)}: ${(err as Error).message}`);
  }
  return list;
}

function s3Settings(
  storage: string,
  bucket: string | undefined,
  rest: { endpoint?: string; region: string; forcePathStyle: boolean; prefix: string; redirect: boolean },
): Config['s3'] {
  if (storage !== 's3') return undefined;
  if (!bucket) throw new ConfigError('BERTH_S3_BUCKET: required with BERTH_STORAGE=s3');
  return { bucket, ...rest };
}

/** This server's own address as a process on the same machine reaches it. */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** Reads settings from `env` (and the file it names). Throws ConfigError naming the bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  const fileName = env.BERTH_CONFIG;
  if (fileName) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(fileName, 'utf8'));
    } catch (err) {
      throw new ConfigError(`BERTH_CONFIG: cannot read ${fileName}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`BERTH_CONFIG: ${fileName} must hold a JSON object of settings`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (authKeyOfEnv(k)) {
        raw[k] = v === null || v === undefined ? undefined : String(v);
        continue;
      }
      if (!(k in settings) || k === 'BERTH_CONFIG') throw new ConfigError(`${k} (in ${fileName}): unknown setting; known: ${Object.keys(settings).join(', ')}`);
      raw[k] = v === null || v === undefined ? undefined : String(v);
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (authKeyOfEnv(k)) {
      if (v !== undefined && v !== '') raw[k] = v;
      continue;
    }
    if (k.startsWith('BERTH_') && !(k in settings)) {
      throw new ConfigError(
        `${k}: unknown setting; known: ${Object.keys(settings)
          .filter((s) => s.startsWith('BERTH_'))
          .concat(Object.keys(authSettings).map((a) => authEnvName(a as AuthSettingKey)))
          .join(', ')}`,
      );
    }
    if (k in settings && v !== undefined && v !== '') raw[k] = v;
  }

  const value = <K extends keyof Settings>(key: K): Parsed<K> | undefined => {
    const text = raw[key] ?? settings[key].default;
    if (text === undefined) return undefined;
    const result = settings[key].schema.safeParse(text);
    if (!result.success) {
      // Secrets (a URL with a password) are never echoed into logs.
      const shown = 'secret' in settings[key] ? '' : `=${JSON.stringify(text)}`;
      throw new ConfigError(`${key}${shown}: ${result.error.issues.map((i) => i.message).join('; ')}`);
    }
    return result.data as Parsed<K>;
  };

  const authOverrides: Partial<Record<AuthSettingKey, unknown>> = {};
  for (const [k, text] of Object.entries(raw)) {
    const key = authKeyOfEnv(k);
    if (!key || text === undefined) continue;
    try {
      authOverrides[key] = parseAuthSettingText(key, text);
    } catch (err) {
      const shown = 'secret' in authSettings[key] ? '' : `=${JSON.stringify(text)}`;
      throw new ConfigError(`${k}${shown}: ${(err as Error).message}`);
    }
  }

  const dataDir = path.resolve(value('BERTH_DATA_DIR')!);
  const databaseUrl = value('DATABASE_URL');
  const workers = value('BERTH_WORKERS') ?? availableParallelism();
  return {
    port: value('PORT')!,
    host: value('BERTH_HOST')!,
    dataDir,
    databaseUrl,
    dbPoolSize: value('BERTH_DB_POOL_SIZE')!,
    embeddedDbUser: value('BERTH_EMBEDDED_DB_USER')!,
    storage: value('BERTH_STORAGE')!,
    storageDir: path.resolve(value('BERTH_STORAGE_DIR') ?? path.join(dataDir, 'blobs')),
    s3: s3Settings(value('BERTH_STORAGE')!, value('BERTH_S3_BUCKET'), {
      endpoint: value('BERTH_S3_ENDPOINT'),
      region: value('BERTH_S3_REGION')!,
      forcePathStyle: value('BERTH_S3_FORCE_PATH_STYLE')!,
      prefix: value('BERTH_S3_PREFIX') ?? '',
      redirect: value('BERTH_S3_REDIRECT')!,
    }),
    workers,
    uploadMaxAgeMs: value('BERTH_UPLOAD_MAX_AGE')!,
    uploadPurgeIntervalMs: value('BERTH_UPLOAD_PURGE_INTERVAL')!,
    gcReviewDelayMs: value('BERTH_GC_REVIEW_DELAY')!,
    logLevel: value('BERTH_LOG_LEVEL')!,
    accessLog: value('BERTH_ACCESS_LOG')!,
    metrics: value('BERTH_METRICS')!,
    shutdownTimeoutMs: value('BERTH_SHUTDOWN_TIMEOUT')!,
    adminPassword: value('BERTH_ADMIN_PASSWORD'),
    externalUrl: value('BERTH_EXTERNAL_URL'),
    tokenService: value('BERTH_TOKEN_SERVICE')!,
    tokenExpirationMs: value('BERTH_TOKEN_EXPIRATION')!,
    sessionTimeoutMs: value('BERTH_SESSION_TIMEOUT')!,
    projectCreation: value('BERTH_PROJECT_CREATION')!,
    storagePerProject: value('BERTH_STORAGE_PER_PROJECT')!,
    auditLog: value('BERTH_AUDIT_LOG')!,
    auditRetentionMs: value('BERTH_AUDIT_RETENTION')!,
    auditSyslog: value('BERTH_AUDIT_SYSLOG'),
    trustedProxies: trustedProxies(value('BERTH_TRUSTED_PROXIES')),
    secretKey: value('BERTH_SECRET_KEY'),
    replicationAllow: (value('BERTH_REPLICATION_ALLOW') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    replicationWorker: value('BERTH_REPLICATION_WORKER')!,
    replicationConcurrency: value('BERTH_REPLICATION_CONCURRENCY')!,
    replicationLeaseMs: value('BERTH_REPLICATION_LEASE')!,
    authOverrides,
    replicationLocalUrl: (value('BERTH_REPLICATION_LOCAL_URL') ?? localUrl(value('BERTH_HOST')!, value('PORT')!)).replace(/\/+$/, ''),
  };
}
