// The results table, printed and written into bench/README.md between markers so the
// method text around it survives every run.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { LoadResult } from './load.js';
import type { TreeMemoryPeak } from './procTree.js';

export interface RegistryResult {
  name: string;
  settings: string;
  pushMiBps: number;
  pullMiBps: number;
  /** Small images (config + layer + manifest by tag) pushed per second. */
  imagesPerSecond: number;
  manifest: LoadResult;
  memory: TreeMemoryPeak;
  cpu: {
    /** Registry CPU seconds (all processes, user + system) per GiB moved. */
    pushSPerGiB: number;
    pullSPerGiB: number;
    /** Registry CPU milliseconds per 1000 manifest GETs. */
    manifestMsPer1k: number;
    /** The part of manifestMsPer1k spent in its database backends, if it has any. */
    manifestDbMsPer1k?: number;
    /** The blob store server's CPU per GiB (s3rver), when it runs here. */
    storePushSPerGiB?: number;
    storePullSPerGiB?: number;
    /** Share of the machine's CPU used by neither the registry, its store, nor the bench, 0..1. */
    otherShare: number;
  };
}

export interface Workload {
  blobs: number;
  totalMiB: number;
  concurrency: number;
  pullRounds: number;
  images: number;
  connections: number;
  durationS: number;
  loadTool: 'wrk' | 'node';
  /** Whole runs whose medians the tables show. */
  runs: number;
}

const MiB = 1024 * 1024;

interface Row {
  label: string;
  value: (r: RegistryResult) => number | undefined;
  digits: number;
  /** Whether a larger number is the better one, or undefined for plain counts. */
  higherIsBetter?: boolean;
}

const rows: Row[] = [
  { label: 'Blob push, MiB/s', value: (r) => r.pushMiBps, digits: 0, higherIsBetter: true },
  { label: 'Blob pull, MiB/s', value: (r) => r.pullMiBps, digits: 0, higherIsBetter: true },
  { label: 'Small image push, images/s', value: (r) => r.imagesPerSecond, digits: 0, higherIsBetter: true },
  { label: 'Manifest GET by tag, req/s', value: (r) => r.manifest.perSecond, digits: 0, higherIsBetter: true },
  { label: 'Manifest GET p50, ms', value: (r) => r.manifest.p50Ms, digits: 2, higherIsBetter: false },
  { label: 'Manifest GET p99, ms', value: (r) => r.manifest.p99Ms, digits: 2, higherIsBetter: false },
  { label: 'Manifest GET errors (non-2xx, socket)', value: (r) => r.manifest.errors, digits: 0 },
  { label: 'Peak RSS, largest process, MiB', value: (r) => r.memory.peakProcessBytes / MiB, digits: 0, higherIsBetter: false },
  { label: 'Peak RSS, whole process tree, MiB', value: (r) => r.memory.peakTotalBytes / MiB, digits: 0, higherIsBetter: false },
  { label: 'Peak PSS, whole process tree, MiB', value: (r) => r.memory.peakPssTotalBytes / MiB, digits: 0, higherIsBetter: false },
  { label: 'Processes in tree', value: (r) => r.memory.maxProcesses, digits: 0 },
  { label: 'Registry CPU per GiB pushed, s', value: (r) => r.cpu.pushSPerGiB, digits: 2, higherIsBetter: false },
  { label: 'Registry CPU per GiB pulled, s', value: (r) => r.cpu.pullSPerGiB, digits: 2, higherIsBetter: false },
  { label: 'Registry CPU per 1000 manifest GETs, ms', value: (r) => r.cpu.manifestMsPer1k, digits: 0, higherIsBetter: false },
  { label: '… of which in PostgreSQL backends, ms', value: (r) => r.cpu.manifestDbMsPer1k, digits: 0 },
  { label: "Other processes' CPU during the run, % of machine", value: (r) => r.cpu.otherShare * 100, digits: 0 },
];

/**
 * Each number the median of its values over the runs (objects field by field); anything
 * else, such as the per-process list, from the run whose push rate is the median.
 */
export function medianResult(runs: RegistryResult[]): RegistryResult {
  const byPush = [...runs].sort((a, b) => a.pushMiBps - b.pushMiBps);
  const middle = byPush[Math.floor((byPush.length - 1) / 2)];
  const median = (values: unknown[], pick: unknown): unknown => {
    if (values.every((v) => typeof v === 'number')) {
      const sorted = (values as number[]).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
      if (!sorted.length) return NaN;
      const m = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
    if (pick && typeof pick === 'object' && !Array.isArray(pick)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(pick))
        out[k] = median(
          values.map((v) => (v as Record<string, unknown>)?.[k]),
          (pick as Record<string, unknown>)[k],
        );
      return out;
    }
    return pick;
  };
  return median(runs, middle) as RegistryResult;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);
}

/** Markdown table: Distribution, Berth and the Berth/Distribution ratio per metric. */
export function resultsTable(distribution: RegistryResult | undefined, berth: RegistryResult | undefined): string {
  const lines = ['| Metric | Distribution | Berth | Berth / Distribution | Better |', '|---|--:|--:|--:|---|'];
  for (const row of rows) {
    const d = distribution && row.value(distribution);
    const b = berth && row.value(berth);
    const ratio = d !== undefined && b !== undefined && d > 0 && row.higherIsBetter !== undefined ? `${(b / d).toFixed(2)}×` : '—';
    const better = row.higherIsBetter === undefined ? '' : row.higherIsBetter ? 'higher' : 'lower';
    lines.push(`| ${row.label} | ${fmt(d, row.digits)} | ${fmt(b, row.digits)} | ${ratio} | ${better} |`);
  }
  return lines.join('\n');
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (${cpu}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/** A row of the main table, under another label if given. */
function row(label: string, as = label): Row {
  const found = rows.find((r) => r.label === label);
  if (!found) throw new Error(`no results row ${label}`);
  return { ...found, label: as };
}

function ratio(base: number | undefined, value: number | undefined): string {
  return base && value !== undefined ? `${(value / base).toFixed(2)}×` : '—';
}

// What the audit log costs: Berth with it on against Berth with it off, same run.
const auditRows: Row[] = [
  'Blob push, MiB/s',
  'Small image push, images/s',
  'Manifest GET by tag, req/s',
  'Manifest GET p99, ms',
  'Registry CPU per 1000 manifest GETs, ms',
  '… of which in PostgreSQL backends, ms',
].map((label) => row(label));

export function auditTable(on: RegistryResult, off: RegistryResult): string {
  const lines = ['| Metric | audit off | audit on | on / off |', '|---|--:|--:|--:|'];
  for (const r of auditRows) {
    const a = r.value(off);
    const b = r.value(on);
    lines.push(`| ${r.label} | ${fmt(a, r.digits)} | ${fmt(b, r.digits)} | ${ratio(a, b)} |`);
  }
  return lines.join('\n');
}

// Berth on its two blob stores, same run: what moving the blobs to S3 costs.
const storageRows: Row[] = [
  ...['Blob push, MiB/s', 'Blob pull, MiB/s', 'Small image push, images/s', 'Manifest GET by tag, req/s', 'Manifest GET p99, ms'].map((label) => row(label)),
  row('Peak RSS, largest process, MiB'),
  row('Peak RSS, whole process tree, MiB'),
  row('Registry CPU per GiB pushed, s', 'Berth CPU per GiB pushed, s'),
  row('Registry CPU per GiB pulled, s', 'Berth CPU per GiB pulled, s'),
  { label: 's3rver CPU per GiB pushed, s', value: (r) => r.cpu.storePushSPerGiB, digits: 2 },
  { label: 's3rver CPU per GiB pulled, s', value: (r) => r.cpu.storePullSPerGiB, digits: 2 },
];

export function storageTable(fs: RegistryResult | undefined, s3: RegistryResult, distribution?: RegistryResult): string {
  const lines = ['| Metric | filesystem | S3 (s3rver) | S3 / filesystem | S3 / Distribution (filesystem) |', '|---|--:|--:|--:|--:|'];
  for (const r of storageRows) {
    const a = fs && r.value(fs);
    const b = r.value(s3);
    const d = distribution && r.value(distribution);
    lines.push(`| ${r.label} | ${fmt(a, r.digits)} | ${fmt(b, r.digits)} | ${ratio(a, b)} | ${ratio(d, b)} |`);
  }
  return lines.join('\n');
}

export function resultsSection(
  distribution: RegistryResult | undefined,
  berth: RegistryResult | undefined,
  workload: Workload,
  when = new Date(),
  berthAuditOff?: RegistryResult,
  berthS3?: RegistryResult,
): string {
  const perProcess = (r: RegistryResult | undefined) =>
    r?.memory.processes.map((p) => `${p.comm} ${p.pid}: ${(p.peakRssBytes / MiB).toFixed(0)} MiB`).join(', ') ?? '—';
  return [
    `Measured ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineDescription()}.`,
    '',
    `- Berth: ${berth?.settings ?? 'not measured'}`,
    ...(berthS3 ? [`- Berth (S3): ${berthS3.settings}`] : []),
    `- Distribution: ${distribution?.settings ?? 'not measured'}`,
    `- Workload: ${workload.blobs} blobs, ${workload.totalMiB} MiB pushed ${workload.concurrency} at a time, ` +
      `pulled ${workload.pullRounds}× ${workload.concurrency} at a time; ${workload.images} small images pushed ${workload.concurrency} at a time; manifest GETs by ${workload.loadTool}, ` +
      `${workload.connections} connections, ${workload.durationS} s; every number the median of ${workload.runs} run${workload.runs === 1 ? '' : 's'}, each registry starting fresh in each`,
    '',
    resultsTable(distribution, berth),
    '',
    `Per-process peak RSS — Berth: ${perProcess(berth)}; Distribution: ${perProcess(distribution)}.`,
    ...(berth && berthAuditOff
      ? [
          '',
          "The audit log's cost: the same Berth run again with `BERTH_AUDIT_LOG=false` (pushes write their rows in the push transaction; pulls and token logins are queued and batched).",
          '',
          auditTable(berth, berthAuditOff),
        ]
      : []),
    ...(berthS3
      ? [
          '',
          'Blobs in S3: the same Berth with its blobs in a bucket on s3rver. ' +
            's3rver is a Node server that writes every object to local disk and hashes it with MD5, so the S3 column measures it as much as Berth; ' +
            "Berth's own CPU and memory are the telling rows. The RSS and Berth CPU rows are Berth's processes only; s3rver's CPU has rows of its own " +
            "and is not counted as other processes' CPU.",
          '',
          storageTable(berth, berthS3, distribution),
        ]
      : []),
    ...[distribution, berth, berthS3]
      .filter((r): r is RegistryResult => !!r && r.manifest.errors > 0)
      .map((r) => `\n${r.name} manifest GET errors: ${r.manifest.errorDetail}.`),
    ...busyWarning([distribution, berth, berthS3]),
  ].join('\n');
}

// Above this, other work took enough CPU that throughput and latency say more about the
// machine than about the registries; CPU per unit of work is still usable.
const BUSY_SHARE = 0.1;

function busyWarning(results: (RegistryResult | undefined)[]): string[] {
  const busy = results.filter((r): r is RegistryResult => !!r && r.cpu.otherShare > BUSY_SHARE);
  if (!busy.length) return [];
  const which = busy.map((r) => `${(r.cpu.otherShare * 100).toFixed(0)}% during the ${r.name} run`).join(', ');
  return [
    '',
    `**Warning:** other processes used ${which}. Throughput and latency are disturbed; ` +
      'the registry-CPU-per-work rows are more trustworthy. Re-run on a quiet machine.',
  ];
}

export const START_MARK = '<!-- bench:results:start (written by bench/run.ts; edits here are overwritten) -->';
export const END_MARK = '<!-- bench:results:end -->';

/** Replaces the text between the markers; appends a marked section if there is none. */
export async function writeResults(readmePath: string, section: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(readmePath, 'utf8');
  } catch {
    /* first run: start the file */
  }
  const start = text.indexOf(START_MARK);
  const end = text.indexOf(END_MARK);
  const block = `${START_MARK}\n${section}\n${END_MARK}`;
  text = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + END_MARK.length) : `${text.trimEnd()}\n\n## Latest results\n\n${block}\n`;
  await writeFile(readmePath, text);
}
