// The registry under test. Normally Berth (the built server, via the shared helper);
// BERTH_E2E_REGISTRY=distribution runs the same tests against CNCF Distribution instead,
// which tells a broken harness or client setup apart from a Berth bug.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, startBerth } from '../../helpers/berthProcess.js';
import { startDaemon } from './daemon.js';
import { makeScratchDir, removeScratchDir } from './scratch.js';
import { requireTool } from './tools.js';

export interface TargetRegistry {
  kind: 'berth' | 'distribution';
  /** 127.0.0.1:PORT, as clients write it in image references. */
  host: string;
  url: string;
  output(): string;
  dispose(): Promise<void>;
}

export async function startRegistry(): Promise<TargetRegistry> {
  const which = process.env.BERTH_E2E_REGISTRY ?? 'berth';
  if (which === 'berth') return startBerthRegistry();
  if (which === 'distribution') return startDistribution();
  throw new Error(`BERTH_E2E_REGISTRY must be 'berth' or 'distribution', not '${which}'`);
}

async function startBerthRegistry(): Promise<TargetRegistry> {
  const berth = await startBerth();
  return { kind: 'berth', host: berth.host, url: berth.url, output: berth.output, dispose: berth.dispose };
}

async function startDistribution(): Promise<TargetRegistry> {
  const bin = requireTool('docker-registry');
  const dir = await makeScratchDir('distribution');
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: info}',
      `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'docker-registry',
    bin,
    args: ['serve', config],
    logFile: path.join(dir, 'registry.log'),
    ready: async () => (await fetch(`${url}/v2/`)).status === 200,
  });
  return {
    kind: 'distribution',
    host: `127.0.0.1:${port}`,
    url,
    output: daemon.log,
    async dispose() {
      await daemon.stop();
      await removeScratchDir(dir);
    },
  };
}
