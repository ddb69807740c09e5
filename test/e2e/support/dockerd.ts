// A private dockerd. Its networking is switched off entirely (no iptables, no forwarding,
// no bridge): it only builds, pushes and pulls, and the registry it talks to is on
// 127.0.0.1. Everything it writes is under one scratch directory.
import { request } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Credentials } from './auth.js';
import { readPidFile, startDaemon, stopPid, type Daemon } from './daemon.js';
import { run } from './run.js';
import { requireTool } from './tools.js';

export interface DockerOptions {
  cwd?: string;
  /** Bytes for stdin (e.g. `login --password-stdin`). */
  input?: string;
  /** Return a failed result instead of throwing (to check refusals). */
  allowFailure?: boolean;
  /**
   * Client config directory (DOCKER_CONFIG), i.e. whose `docker login` applies; default: the
   * daemon's own private one. Several identities can share one daemon this way, because
   * the CLI sends the credentials along with every push and pull.
   */
  config?: string;
}

export interface Dockerd {
  daemon: Daemon;
  socket: string;
  /** The private client config directory used when a call names none. */
  clientConfig: string;
  /** The docker CLI against this daemon, with a private client config. */
  docker(args: string[], opts?: DockerOptions): ReturnType<typeof run>;
  /** A further empty client config directory (another identity), under the daemon's scratch dir. */
  newClientConfig(name: string): Promise<string>;
  /** `docker login HOST -u … --password-stdin` into that client config (default: the private one). */
  login(host: string, c: Credentials, config?: string): ReturnType<typeof run>;
  stop(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function cmdline(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
}

export async function startDockerd(dir: string, insecureRegistry: string): Promise<Dockerd> {
  const dockerdBin = requireTool('dockerd');
  const dockerBin = requireTool('docker');
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'exec');
  const pidfile = path.join(dir, 'dockerd.pid');
  const socket = path.join(dir, 'docker.sock');
  const clientConfig = path.join(dir, 'client-config');
  const daemonConfig = path.join(dir, 'daemon.json');
  await mkdir(clientConfig, { recursive: true });
  await writeFile(path.join(clientConfig, 'config.json'), '{}\n');
  // An explicit empty config keeps /etc/docker/daemon.json (if any) out of the test.
  await writeFile(daemonConfig, '{}\n');

  const daemon = await startDaemon({
    name: 'dockerd',
    bin: dockerdBin,
    args: [
      '--config-file',
      daemonConfig,
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '--pidfile',
      pidfile,
      '-H',
      `unix://${socket}`,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      '--storage-driver',
      'overlay2',
      '--insecure-registry',
      insecureRegistry,
      '--log-level',
      'info',
    ],
    logFile: path.join(dir, 'dockerd.log'),
    ready: () => ping(socket),
  });

  const env = {
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: clientConfig,
    // The legacy builder needs nothing beyond the daemon for FROM scratch + COPY.
    DOCKER_BUILDKIT: '0',
  };
  const docker = (args: string[], opts: DockerOptions = {}) =>
    run(dockerBin, ['-H', `unix://${socket}`, ...args], {
      env: { ...env, DOCKER_CONFIG: opts.config ?? clientConfig },
      cwd: opts.cwd,
      input: opts.input,
      allowFailure: opts.allowFailure,
    });
  return {
    daemon,
    socket,
    clientConfig,
    docker,
    async newClientConfig(name) {
      const config = path.join(dir, `client-config-${name}`);
      await mkdir(config, { recursive: true });
      await writeFile(path.join(config, 'config.json'), '{}\n');
      return config;
    },
    login: (host, c, config) => docker(['login', host, '--username', c.username, '--password-stdin'], { input: c.password, config }),
    async stop() {
      // dockerd runs its own containerd; it names that one's PID in the exec root.
      const containerdPid = readPidFile(path.join(execRoot, 'containerd', 'containerd.pid'));
      await stopPid(readPidFile(pidfile) ?? daemon.pid);
      await daemon.stop();
      // dockerd stops it itself; this covers a dockerd that had to be killed. The
      // command-line check guards against a PID reused since the file was written.
      if (containerdPid && (await cmdline(containerdPid)).includes(execRoot)) await stopPid(containerdPid);
    },
  };
}
