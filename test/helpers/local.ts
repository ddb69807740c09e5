// This machine as the tests see it: where the repository is, and a loopback port to bind.
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A port free right now, picked at random below Linux's ephemeral range (32768 and up), so
 * the kernel never hands it to another process's bind(0) or connect() before the caller
 * binds it; test files running side by side pick independently and rarely meet.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(candidate, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}
