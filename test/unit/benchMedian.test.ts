// The bench's tables show medians over whole runs; a median that took the wrong run's
// number, or averaged, would report figures no run produced.
import assert from 'node:assert/strict';
import { medianResult, type RegistryResult } from '../../bench/lib/report.js';

const run = (push: number, pull: number, p99: number, comm: string): RegistryResult =>
  ({
    name: 'Berth',
    settings: 's',
    pushMiBps: push,
    pullMiBps: pull,
    imagesPerSecond: 1,
    manifest: { perSecond: 100, p50Ms: 1, p99Ms: p99, requests: 1000, errors: 0, errorDetail: '' },
    memory: { peakTotalBytes: 1, peakPssTotalBytes: 1, peakProcessBytes: 1, maxProcesses: 3, samples: 10, processes: [{ pid: 1, comm, peakRssBytes: 1 }] },
    cpu: { pushSPerGiB: push / 100, pullSPerGiB: 1, manifestMsPer1k: 1, manifestDbMsPer1k: undefined, otherShare: 0 },
  }) as unknown as RegistryResult;

describe('bench medians', () => {
  it('takes each number’s own median, and the rest from the run with the median push', () => {
    const m = medianResult([run(300, 500, 9, 'a'), run(100, 900, 5, 'b'), run(200, 700, 7, 'c')]);
    assert.equal(m.pushMiBps, 200);
    assert.equal(m.pullMiBps, 700);
    assert.equal(m.manifest.p99Ms, 7);
    assert.equal(m.cpu.pushSPerGiB, 2);
    assert.equal(m.memory.processes[0].comm, 'c');
    assert.equal(m.cpu.manifestDbMsPer1k, undefined);
  });

  it('averages the middle two of an even count', () => {
    assert.equal(medianResult([run(100, 1, 1, 'a'), run(300, 1, 1, 'b')]).pushMiBps, 200);
  });
});
