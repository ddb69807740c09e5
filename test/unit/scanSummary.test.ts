// What the pull gate and the artifact lists read of a report: the one-row summary, the
// severity scale with the gate's thresholds, and which artifacts are images to scan.
import assert from 'node:assert/strict';
import { summarize } from '../../server/scanning/reportSummary.js';
import { isScannable } from '../../server/scanning/scannable.js';
import { gateRank, severityRank } from '../../server/scanning/severity.js';

const image = (layers: string[], extra: Record<string, unknown> = {}, config = 'application/vnd.oci.image.config.v1+json') =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: config, digest: 'sha256:00', size: 2 },
      layers: layers.map((mediaType) => ({ mediaType, digest: 'sha256:01', size: 1 })),
      ...extra,
    }),
  );

describe('scan summaries', () => {
  it('counts per severity, fixable findings, the highest severity and each CVE once at its highest', () => {
    const s = summarize({
      scanner: { name: 'Trivy', vendor: 'Aqua', version: '0.50' },
      vulnerabilities: [
        { id: 'CVE-1', severity: 'Low', fix_version: '1.2' },
        { id: 'CVE-1', severity: 'High' },
        { id: 'CVE-2', severity: 'Critical', fix_version: '' },
        { id: 'CVE-3', severity: 'Bogus' },
      ],
    });
    assert.deepEqual(s, {
      severity: 'Critical',
      total: 4,
      fixable: 1,
      counts: { Low: 1, High: 1, Critical: 1, Unknown: 1 },
      cves: [
        ['CVE-1', 'High'],
        ['CVE-2', 'Critical'],
        ['CVE-3', 'Unknown'],
      ],
      scanner: { name: 'Trivy', vendor: 'Aqua', version: '0.50' },
    });
    assert.equal(summarize({ vulnerabilities: [] }).severity, 'None');
  });

  it('orders severities for the gate; "none" refuses everything, "critical" only Critical', () => {
    assert.ok(gateRank('none') < severityRank('Unknown'));
    assert.equal(gateRank('high'), severityRank('High'));
    assert.ok(severityRank('Critical') >= gateRank('critical'));
    assert.ok(severityRank('High') < gateRank('critical'));
  });

  it('scans container images only: not signatures, referrers, charts or indexes', () => {
    const oci = 'application/vnd.oci.image.manifest.v1+json';
    assert.ok(isScannable(oci, image(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+zstd'])));
    assert.ok(
      isScannable(
        'application/vnd.docker.distribution.manifest.v2+json',
        image(['application/vnd.docker.image.rootfs.diff.tar.gzip'], {}, 'application/vnd.docker.container.image.v1+json'),
      ),
    );
    assert.ok(!isScannable(oci, image(['application/vnd.dev.cosign.simplesigning.v1+json'])));
    assert.ok(!isScannable(oci, image(['application/vnd.oci.image.layer.v1.tar'], { subject: { digest: 'sha256:02' } })));
    assert.ok(!isScannable(oci, image(['application/vnd.cncf.helm.chart.content.v1.tar+gzip'], {}, 'application/vnd.cncf.helm.config.v1+json')));
    assert.ok(!isScannable(oci, image([])));
    assert.ok(!isScannable('application/vnd.oci.image.index.v1+json', Buffer.from('{"manifests":[]}')));
    assert.ok(!isScannable(oci, Buffer.from('not json')));
  });
});
