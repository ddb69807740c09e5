// A plain TCP forwarder on a loopback port to a test server, for a registry that comes up
// late or goes away while a test runs.
import net from 'node:net';

/** A plain TCP forwarder to `target` on `port`, for a destination that comes up late. */
export async function forwarder(port: number, target: string): Promise<{ close(): Promise<void> }> {
  const t = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const up = net.connect(Number(t.port), t.hostname);
    sockets.add(c).add(up);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
