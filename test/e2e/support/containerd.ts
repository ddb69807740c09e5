// A private containerd: its own root, state, socket and config, so it never touches
// /var/lib/containerd, /run/containerd or /opt/containerd, and runs no CRI/CNI plugin.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { run } from './run.js';
import { requireTool } from './tools.js';

export interface Containerd {
  daemon: Daemon;
  address: string;
  /** Runs ctr against this containerd, in a namespace of its own. */
  ctr(args: string[], opts?: { allowFailure?: boolean }): ReturnType<typeof run>;
}

export async function startContainerd(dir: string): Promise<Containerd> {
  const bin = requireTool('containerd');
  const ctrBin = requireTool('ctr');
  const root = path.join(dir, 'root');
  const state = path.join(dir, 'state');
  const address = path.join(dir, 'containerd.sock');
  const config = path.join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = "${root}"`,
      `state = "${state}"`,
      // CRI would set up CNI networking; this test only moves images.
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${address}"`,
      '[ttrpc]',
      `  address = "${address}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '  level = "info"',
      '[metrics]',
      '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${path.join(dir, 'opt')}"`,
      '',
    ].join('\n'),
  );
  const ctr = (args: string[], opts: { allowFailure?: boolean } = {}) => run(ctrBin, ['--address', address, '--namespace', 'berth-e2e', ...args], opts);
  const daemon = await startDaemon({
    name: 'containerd',
    bin,
    args: ['--config', config, '--root', root, '--state', state, '--address', address],
    logFile: path.join(dir, 'containerd.log'),
    ready: async () => (await run(ctrBin, ['--address', address, 'version'], { allowFailure: true, timeoutMs: 5_000 })).code === 0,
  });
  return { daemon, address, ctr };
}
