// Locates the client binaries. A missing tool must fail the suite (not skip it), with the
// Debian package to install, so CI cannot go green while testing nothing.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

interface ToolSpec {
  /** Debian package that ships the binary. */
  pkg: string;
  /** Absolute paths tried before PATH. */
  prefer?: string[];
}

const TOOLS = {
  // /usr/local/bin/docker on some machines is a newer upstream client; the one from
  // docker.io matches the daemon we start, so API negotiation is never involved.
  docker: { pkg: 'docker.io', prefer: ['/usr/bin/docker'] },
  dockerd: { pkg: 'docker.io', prefer: ['/usr/sbin/dockerd'] },
  containerd: { pkg: 'containerd', prefer: ['/usr/bin/containerd'] },
  ctr: { pkg: 'containerd', prefer: ['/usr/bin/ctr'] },
  podman: { pkg: 'podman' },
  buildah: { pkg: 'buildah' },
  skopeo: { pkg: 'skopeo' },
  umoci: { pkg: 'umoci' },
  tar: { pkg: 'tar' },
  'docker-registry': { pkg: 'docker-registry' },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of the tool, or throws naming the Debian package that provides it. */
export function requireTool(name: ToolName): string {
  const spec: ToolSpec = TOOLS[name];
  // Daemons live in sbin, which a non-login PATH may lack.
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  const candidates = [...(spec.prefer ?? []), ...dirs.map((d) => path.join(d, name))];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new Error(`e2e: '${name}' is not installed. Install the Debian package '${spec.pkg}' (apt-get install -y ${spec.pkg}).`);
  }
  return found;
}
