// The gate garbage collection asks before each batch: at full pace while the machine is
// quiet; one batch at a time with long rests while others keep the CPUs busy; probes only
// when no batch runs, so the collector never measures itself.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoadGate } from '../../server/gc/loadGate.js';

/** A CPU clock whose busy share the test sets; it records whether a batch ran while sampled. */
function fakeCpus() {
  const state = { share: 0, idle: 0, total: 0, at: Date.now() };
  return {
    state,
    sample: () => {
      const now = Date.now();
      const elapsed = Math.max(1, now - state.at);
      state.at = now;
      state.total += elapsed;
      state.idle += elapsed * (1 - state.share);
      return { idle: state.idle, total: state.total };
    },
  };
}

async function batches(gate: LoadGate, workers: number, forMs: number, batchMs: number) {
  const until = Date.now() + forMs;
  let done = 0;
  let concurrent = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        await gate.enter();
        concurrent++;
        most = Math.max(most, concurrent);
        const started = Date.now();
        await sleep(batchMs);
        concurrent--;
        gate.leave(Date.now() - started);
        done++;
      }
    }),
  );
  return { done, most };
}

describe('garbage collection load gate', () => {
  const settings = { probeEveryMs: 100, probeMs: 20, busyShare: 0.25, yieldFactor: 9 };

  it('lets every worker run while the machine is quiet', async () => {
    const cpus = fakeCpus();
    const gate = new LoadGate(settings, cpus.sample);
    const r = await batches(gate, 3, 500, 10);
    assert.equal(gate.busy, false);
    assert.equal(r.most, 3);
    assert.ok(r.done > 30, `${r.done} batches`);
  });

  it('runs one batch at a time with a rest of yieldFactor times its length while others are busy, and recovers', async () => {
    const cpus = fakeCpus();
    cpus.state.share = 0.9;
    const gate = new LoadGate(settings, cpus.sample);
    const busy = await batches(gate, 3, 600, 10);
    assert.equal(gate.busy, true);
    assert.equal(busy.most, 1, 'one batch at a time');
    // Each batch of 10 ms is followed by 90 ms of rest, and the probes: at most about 6 in 600 ms.
    assert.ok(busy.done >= 1 && busy.done <= 8, `${busy.done} batches`);
    assert.ok(gate.probes.busy >= 1);
    cpus.state.share = 0.05;
    await sleep(150);
    const quiet = await batches(gate, 3, 400, 10);
    assert.equal(gate.busy, false);
    assert.ok(quiet.done > 20, `${quiet.done} batches once quiet`);
  });
});
