// Every query parameter Berth reads, sent malformed: a NUL, invalid UTF-8 (escaped and as a
// raw byte), a broken escape, an absurd length, the parameter twice, and a value of the
// wrong type. Each gets a 400 with the protocol's own error code, never a 5xx. The
// management API's parameters come from docs/openapi.yaml, so a new one is covered once
// it is described there.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { openApiFile } from '../../server/api/meta.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage } from '../helpers/v2client.js';

interface Answer {
  status: number;
  body: string;
}

/** A request with exactly these bytes as its path and query (latin1 keeps raw bytes raw). */
function send(base: string, method: string, pathAndQuery: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: pathAndQuery, headers: { Authorization: basic(admin) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// Malformed in the same way whatever the parameter: [label, raw query value].
const malformed: Array<[string, string]> = [
  ['NUL', 'a%00b'],
  ['escaped invalid UTF-8', '%FF%FE'],
  ['truncated UTF-8 sequence', '%C3%28'],
  ['broken escape', '%zz'],
  ['control character', '%1B%5B2J'],
  ['absurd length', 'a'.repeat(5000)],
];

// A raw byte of 0x80 or more in the request line never reaches Berth: Node's HTTP parser
// refuses the request with a bare 400.
const rawByte = 'a\u00ffb';

function errorCode(a: Answer): string | undefined {
  try {
    return (JSON.parse(a.body) as { errors?: Array<{ code: string }> }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

type OpenApiParam = { $ref?: string; name: string; in: string; schema?: { type?: string; enum?: string[] } };
type OpenApiSpec = {
  paths: Record<string, Record<string, { parameters?: OpenApiParam[] }> & { parameters?: OpenApiParam[] }>;
  components: { parameters: Record<string, OpenApiParam> };
};

describe(`query parameters that are not sane text, or of the wrong type`, () => {
  let r: TestRegistry;
  let digest: string;
  let upload: string;
  const ids: Record<string, string> = {};
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'qp');
    digest = (await pushImage(r.url, 'qp/app', 'v1')).digest;
    const started = await fetch(`${r.url}/v2/qp/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: basic(admin) } });
    upload = started.headers.get('location')!;
    const json = (path: string) => fetch(`${r.url}/api/v2.0${path}`, { headers: { Authorization: basic(admin) } }).then((x) => x.json());
    ids.quota = String((await json('/quotas'))[0].id);
  });
  after(async () => r?.close());

  describe('/v2', () => {
    // [method, path, parameter, the code its malformed value gets, values of the wrong type]
    const table = (): Array<[string, string, string, string, string[]]> => [
      ['GET', '/v2/qp/app/tags/list', 'n', 'PAGINATION_NUMBER_INVALID', ['abc', '-1', '1.5', '99999999999']],
      ['GET', '/v2/qp/app/tags/list', 'last', 'TAG_INVALID', []],
      ['GET', '/v2/_catalog', 'n', 'PAGINATION_NUMBER_INVALID', ['abc', '-1']],
      ['GET', '/v2/_catalog', 'last', 'NAME_INVALID', []],
      ['GET', `/v2/qp/app/referrers/${digest}`, 'artifactType', 'UNSUPPORTED', ['nonsense', 'a/b/c', 'application/json; charset=utf-8']],
      ['POST', '/v2/qp/app/blobs/uploads/', 'digest', 'DIGEST_INVALID', ['sha256:xyz', 'md5:abc']],
      ['POST', `/v2/qp/app/blobs/uploads/?from=qp/app`, 'mount', 'DIGEST_INVALID', []],
      ['POST', `/v2/qp/app/blobs/uploads/?mount=${digest}`, 'from', 'NAME_INVALID', []],
      ['PUT', upload, 'digest', 'DIGEST_INVALID', ['sha256:xyz', 'nodigest']],
    ];

    it("answers 400 with the parameter's OCI code for each malformed value", async () => {
      const failures: string[] = [];
      for (const [method, path, param, code] of table()) {
        const join = path.includes('?') ? '&' : '?';
        for (const [label, value] of [...malformed, ['given twice', `x&${param}=y`] as [string, string]]) {
          const a = await send(r.url, method, `${path}${join}${param}=${value}`);
          if (a.status !== 400 || errorCode(a) !== code) failures.push(`${method} ${path.slice(0, 60)} ${param} ${label}: ${a.status} ${a.body.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('answers 400 for a value of the wrong type', async () => {
      const failures: string[] = [];
      for (const [method, path, param, code, wrong] of table()) {
        const join = path.includes('?') ? '&' : '?';
        for (const value of wrong) {
          const a = await send(r.url, method, `${path}${join}${param}=${encodeURIComponent(value)}`);
          if (a.status !== 400 || errorCode(a) !== code) failures.push(`${method} ${param}=${value}: ${a.status} ${a.body.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('answers 4xx with an OCI code, never a 5xx, for path parts holding a NUL or invalid UTF-8', async () => {
      const failures: string[] = [];
      for (const v of ['a%00b', '%FF', '%C3%28']) {
        for (const [method, path] of [
          ['GET', `/v2/qp/app/manifests/${v}`],
          ['GET', `/v2/qp/app/blobs/${v}`],
          ['GET', `/v2/qp/app/referrers/${v}`],
          ['GET', `/v2/qp/app/blobs/uploads/${v}`],
          ['GET', `/v2/qp/${v}/tags/list`],
        ]) {
          const a = await send(r.url, method, path);
          if (a.status < 400 || a.status >= 500 || !errorCode(a)) failures.push(`${method} ${path}: ${a.status} ${a.body.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it("leaves a raw byte of 0x80 or more to Node's HTTP parser, which refuses the request", async () => {
      assert.equal((await send(r.url, 'GET', `/v2/qp/app/tags/list?last=${rawByte}`)).status, 400);
      assert.equal((await send(r.url, 'GET', `/api/v2.0/projects?q=${rawByte}`)).status, 400);
    });

    it('still serves the same routes with sane values, and ignores parameters no route reads', async () => {
      const tags = await send(r.url, 'GET', '/v2/qp/app/tags/list?n=10&last=a&other=%00');
      assert.equal(tags.status, 200, tags.body);
      assert.deepEqual(JSON.parse(tags.body).tags, ['v1']);
      const utf8 = await send(r.url, 'GET', `/v2/qp/app/tags/list?last=${encodeURIComponent('é')}`);
      assert.equal(utf8.status, 200, 'valid UTF-8 is text');
      const refs = await send(r.url, 'GET', `/v2/qp/app/referrers/${digest}?artifactType=application%2Fvnd.example%2Bjson`);
      assert.equal(refs.status, 200, refs.body);
      const cat = await send(r.url, 'GET', '/v2/_catalog?n=5');
      assert.equal(cat.status, 200);
    });
  });

  describe('/api/v2.0', () => {
    const spec = yaml.load(readFileSync(openApiFile, 'utf8')) as OpenApiSpec;
    // Concrete values for every path parameter an operation with query parameters has.
    const pathValues = (): Record<string, string> => ({ project_name_or_id: 'qp', project_name: 'qp', repository_name: 'app', id: '1' });
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
        .map(([method, op]) => {
          const params = [...(ops.parameters ?? []), ...((op as { parameters?: OpenApiParam[] }).parameters ?? [])].map((p) =>
            p.$ref ? spec.components.parameters[p.$ref.split('/').pop()!] : p,
          );
          // A path with servers [{url: /}] (the console's /c/…) lives outside /api/v2.0.
          const base = (ops as { servers?: Array<{ url: string }> }).servers?.[0]?.url === '/' ? '' : '/api/v2.0';
          return { method: method.toUpperCase(), path, base, query: params.filter((p) => p.in === 'query') };
        })
        .filter((op) => op.query.length > 0),
    );

    it('covers every described operation that takes a query parameter', () => {
      assert.ok(operations.length >= 14, `found ${operations.length}`);
    });

    const concrete = (op: { path: string; base: string }) => `${op.base}${op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues()[name] ?? '1')}`;

    it('answers 400 BAD_REQUEST for each malformed value of each parameter', async () => {
      const failures: string[] = [];
      for (const op of operations) {
        for (const p of op.query) {
          for (const [label, value] of [...malformed, ['given twice', `x&${p.name}=y`] as [string, string]]) {
            const a = await send(r.url, op.method, `${concrete(op)}?${p.name}=${value}`);
            if (a.status !== 400 || errorCode(a) !== 'BAD_REQUEST')
              failures.push(`${op.method} ${op.path} ${p.name} ${label}: ${a.status} ${a.body.slice(0, 160)}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });

    it("answers 400 for a value of the wrong type, and 422 for an integer out of Harbor's range", async () => {
      const failures: string[] = [];
      for (const op of operations) {
        for (const p of op.query) {
          const wrong = p.schema?.enum
            ? ['Bogus']
            : p.schema?.type === 'integer'
              ? ['abc', '1.5', '0x10']
              : p.name === 'q'
                ? ['nokey', 'unknown_key=1']
                : p.name === 'sort'
                  ? ['no_such_key']
                  : [];
          for (const value of wrong) {
            const a = await send(r.url, op.method, `${concrete(op)}?${p.name}=${encodeURIComponent(value)}`);
            if (a.status !== 400 || errorCode(a) !== 'BAD_REQUEST')
              failures.push(`${op.method} ${op.path} ${p.name}=${value}: ${a.status} ${a.body.slice(0, 160)}`);
          }
        }
      }
      for (const q of ['page=0', 'page_size=101']) {
        const a = await send(r.url, 'GET', `/api/v2.0/projects?${q}`);
        if (a.status !== 422) failures.push(`${q}: ${a.status}`);
      }
      assert.deepEqual(failures, []);
    });

    it('answers 400, not 500, for a path parameter holding a NUL or invalid UTF-8', async () => {
      const failures: string[] = [];
      const paths = [
        '/projects/{v}',
        '/projects/{v}/summary',
        '/projects/qp/repositories/{v}',
        '/projects/qp/repositories/app/artifacts/{v}',
        '/users/{v}/password',
        '/robots/{v}',
        '/registries/{v}',
        `/quotas/{v}`,
      ];
      for (const path of paths) {
        for (const v of ['a%00b', '%FF', '%C3%28']) {
          const a = await send(r.url, path.includes('password') ? 'PUT' : 'GET', `/api/v2.0${path.replace('{v}', v)}`);
          if (a.status !== 400 || errorCode(a) !== 'BAD_REQUEST') failures.push(`${path} ${v}: ${a.status} ${a.body.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('still answers sane values', async () => {
      const a = await send(r.url, 'GET', `/api/v2.0/projects?q=${encodeURIComponent('name=~q')}&page=1&page_size=5&sort=-creation_time`);
      assert.equal(a.status, 200, a.body);
      assert.ok((JSON.parse(a.body) as Array<{ name: string }>).some((p) => p.name === 'qp'));
      const quota = await send(r.url, 'GET', `/api/v2.0/quotas/${ids.quota}?unrelated=1`);
      assert.equal(quota.status, 200);
    });
  });

  describe('/service/token', () => {
    it('answers 400 for a malformed query or form field, and still takes several scopes', async () => {
      const failures: string[] = [];
      for (const [label, value] of [...malformed, ['given twice', 'berth&service=berth'] as [string, string]]) {
        const a = await send(r.url, 'GET', `/service/token?service=${value}`);
        if (a.status !== 400 || errorCode(a) !== 'BAD_REQUEST') failures.push(`service ${label}: ${a.status} ${a.body.slice(0, 160)}`);
      }
      const nul = await send(r.url, 'GET', '/service/token?service=berth&scope=repository:qp/app:pull%00');
      if (nul.status !== 400) failures.push(`scope NUL: ${nul.status}`);
      const form = await fetch(`${r.url}/service/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `grant_type=password&username=admin%00&password=x&service=berth`,
      });
      if (form.status !== 400) failures.push(`form NUL: ${form.status}`);
      assert.deepEqual(failures, []);
      const two = await send(r.url, 'GET', '/service/token?service=berth&scope=repository:qp/app:pull&scope=repository:qp/other:pull');
      assert.equal(two.status, 200, two.body);
    });
  });
});
