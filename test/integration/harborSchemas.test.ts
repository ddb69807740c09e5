// Berth's /api/v2.0 answers against Harbor's own schemas (docs/harbor-api/, transcribed
// from goharbor/harbor api/v2.0/swagger.yaml): every operation Berth serves that Harbor
// also has is called, its 2xx body validated against Harbor's response schema, and every
// property Harbor's schema names must be there, unless `absent` below says why not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import type { ReplicationWorker } from '../../replication/worker.js';
import { openApiFile } from '../../server/api/meta.js';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, startTestWorker, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

type Schema = Record<string, unknown>;
interface HarborSubset {
  source: { repository: string; path: string; commit: string };
  operations: Record<string, { method: string; path: string; responses: Record<string, { schema?: Schema }> }>;
  definitions: Record<string, Schema>;
}

const harborFile = new URL('../../docs/harbor-api/harbor-swagger-subset.yaml', import.meta.url);
const harbor = yaml.load(readFileSync(harborFile, 'utf8')) as HarborSubset;
const berth = yaml.load(readFileSync(openApiFile, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };

// Harbor's fields that Berth leaves out on purpose, per definition, each with the reason.
// Anything else Harbor's schema names must be in Berth's answer.
const chartMuseum = 'ChartMuseum is gone from Harbor since 2.8; Berth serves Helm charts as OCI artifacts';
const notary = 'Notary is gone from Harbor since 2.9; signatures are OCI referrers';
const absent: Record<string, Record<string, string>> = {
  GeneralInfo: { with_notary: notary, authproxy_settings: 'Harbor sends it in authproxy mode only' },
  ProjectSummary: { chart_count: chartMuseum, registry: 'only a proxy-cache project has one (issue 18)' },
  Project: {
    chart_count: chartMuseum,
    registry_id: 'only a proxy-cache project has one (issue 18)',
    cve_allowlist: 'CVE allowlists come with vulnerability scanning (issue 17)',
  },
  Artifact: {
    icon: "Berth serves no icons (Harbor's /icons/{digest}); the console draws its own",
    labels: 'Harbor sends them only for with_label=true; Berth has no labels',
    scan_overview: 'Harbor sends it only for with_scan_overview=true; scanning is issue 17',
    accessories: 'Harbor sends them only for with_accessory=true; Berth shows referrers instead',
  },
  Tag: { signed: notary },
  ReplicationTask: { job_id: 'a Berth worker claims the task row itself; there is no job apart from it' },
  Robot: { secret: 'shown once, by CreateRobot and RefreshSec; Harbor never fills it on a read either' },
  UserResp: { oidc_user_meta: 'only an OIDC user has it (issue 16)' },
};

// Where Harbor's schema says other than Harbor does, the schema is corrected here, with why.
const corrections: Record<string, { properties?: Record<string, Schema>; additionalProperties?: Schema }> = {
  // Harbor's model is interface{}, and it sends the pattern as a string (and labels as a list).
  ReplicationFilter: { properties: { value: {} } },
  // map[string]interface{}: Harbor sends the config's strings ("amd64", "linux") as they are.
  ExtraAttrs: { additionalProperties: {} },
};

/** Harbor's Swagger 2.0 schema as JSON Schema: x-nullable allows null; refs point into one document. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === '$ref') out.$ref = `harbor${String(v)}`;
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, toJsonSchema(s)]));
    else if (k.startsWith('x-') || k === 'example' || k === 'readOnly' || k === 'description') continue;
    else out[k] = toJsonSchema(v);
  }
  const nullable = src['x-nullable'] === true || src['x-isnullable'] === true;
  if (nullable && out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  if (nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('date-time', rfc3339);
for (const f of ['int32', 'int64', 'uint64', 'password', 'uri', 'url']) ajv.addFormat(f, true);
for (const f of ['int', 'int8']) ajv.addFormat(f, true);
const definitions = toJsonSchema(harbor.definitions) as Record<string, { properties?: Record<string, Schema>; additionalProperties?: Schema }>;
for (const [name, fix] of Object.entries(corrections)) {
  if (fix.properties) Object.assign(definitions[name].properties!, fix.properties);
  if (fix.additionalProperties) definitions[name].additionalProperties = fix.additionalProperties;
}
ajv.addSchema({ $id: 'harbor', definitions });

const shapeKey = (method: string, path: string) => `${method.toLowerCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`;
const harborByShape = new Map(Object.entries(harbor.operations).map(([id, op]) => [shapeKey(op.method, op.path), { id, ...op }]));

/** The operations both serve whose Harbor 2xx answer has a body. */
function sharedOperations(): string[] {
  const ids: string[] = [];
  for (const [path, ops] of Object.entries(berth.paths)) {
    for (const method of Object.keys(ops)) {
      const h = harborByShape.get(shapeKey(method, path));
      if (h && Object.entries(h.responses).some(([status, r]) => status < '300' && r.schema)) ids.push(h.id);
    }
  }
  return ids.sort();
}

function responseSchema(operationId: string): { schema: Schema; validate: ValidateFunction } {
  const op = harbor.operations[operationId];
  const [, response] = Object.entries(op.responses).find(([status, r]) => status < '300' && r.schema)!;
  const schema = toJsonSchema(response.schema) as Schema;
  return { schema, validate: ajv.compile(schema) };
}

/** The definition an answer is one of (an array's items), or undefined for a plain type. */
function definitionOf(schema: Schema): string | undefined {
  const ref = (schema.$ref ?? (schema.items as Schema | undefined)?.$ref ?? (schema.additionalProperties as Schema | undefined)?.$ref) as string | undefined;
  return ref?.replace('harbor#/definitions/', '');
}

function missingProperties(definition: string, value: unknown): string[] {
  const props = Object.keys((harbor.definitions[definition].properties as Schema | undefined) ?? {});
  if (!value || typeof value !== 'object') return [];
  return props.filter((p) => !(p in (value as object)) && !absent[definition]?.[p]);
}

describe(`Harbor's response schemas`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let worker: ReplicationWorker;
  const ids: Record<string, string | number> = {};
  const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  const created = async (res: Response) => {
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('Location')!.split('/').pop());
  };

  before(async () => {
    r = await startTestRegistry();
    worker = await startTestWorker(r);
    await createProject(r.url, 'shape');
    await createProject(r.url, 'shape-copy');
    await createUser(r.url, 'shaper', 'Passw0rd-Shape');
    await addMember(r.url, 'shape', 'shaper', 2);
    const image = await pushImage(r.url, 'shape/app', 'v1');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: image.digest,
            size: image.body.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const put = await v2fetch(`${r.url}/v2/shape/app/manifests/multi`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);
    ids.index = sha256(index);
    ids.image = image.digest;
    ids.registry = await created(
      await api('POST', '/registries', { name: 'self', type: 'berth', url: r.url, credential: { access_key: admin.username, access_secret: admin.password } }),
    );
    ids.policy = await created(
      await api('POST', '/replication/policies', {
        name: 'copy',
        dest_registry: { id: ids.registry },
        dest_namespace: 'shape-copy',
        filters: [{ type: 'name', value: 'shape/**' }],
      }),
    );
    ids.execution = await created(await api('POST', '/replication/executions', { policy_id: ids.policy }));
    for (const until = Date.now() + 30_000; ; ) {
      const e = await (await api('GET', `/replication/executions/${ids.execution}`)).json();
      if (e.status !== 'InProgress') break;
      if (Date.now() > until) throw new Error('execution still running');
      await new Promise((res) => setTimeout(res, 100));
    }
    const robot = await api('POST', '/robots', {
      name: 'ci',
      level: 'project',
      duration: -1,
      permissions: [{ kind: 'project', namespace: 'shape', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    assert.equal(robot.status, 201);
    ids.robotCreated = JSON.stringify(await robot.json());
    ids.robot = JSON.parse(String(ids.robotCreated)).id;
    ids.quota = (await (await api('GET', '/quotas')).json())[0].id;
    ids.members = (await (await api('GET', '/projects/shape/members')).json())[0].id;
    await r.flushAudit();
  });
  after(async () => {
    await worker?.stop();
    await r?.close();
  });

  // How to get an answer from each shared operation: [method, path, body?]
  const calls = (): Record<string, Array<[string, string, unknown?]>> => ({
    getHealth: [['GET', '/health']],
    getSystemInfo: [['GET', '/systeminfo']],
    listProjects: [['GET', '/projects']],
    getProject: [
      ['GET', '/projects/shape'],
      ['GET', '/projects/library'],
    ],
    getProjectSummary: [
      ['GET', '/projects/shape/summary'],
      ['GET', '/projects/library/summary'],
    ],
    listProjectMembers: [['GET', '/projects/shape/members']],
    listRepositories: [['GET', '/projects/shape/repositories']],
    getRepository: [['GET', '/projects/shape/repositories/app']],
    listArtifacts: [['GET', '/projects/shape/repositories/app/artifacts']],
    getArtifact: [
      ['GET', `/projects/shape/repositories/app/artifacts/${ids.index}`],
      ['GET', '/projects/shape/repositories/app/artifacts/v1'],
    ],
    listTags: [['GET', '/projects/shape/repositories/app/artifacts/v1/tags']],
    listAuditLogs: [['GET', '/audit-logs']],
    getLogs: [['GET', '/projects/shape/logs']],
    listQuotas: [['GET', '/quotas']],
    getQuota: [['GET', `/quotas/${ids.quota}`]],
    listRegistries: [['GET', '/registries']],
    getRegistry: [['GET', `/registries/${ids.registry}`]],
    listRegistryProviderTypes: [['GET', '/replication/adapters']],
    listRegistryProviderInfos: [['GET', '/replication/adapterinfos']],
    listReplicationPolicies: [['GET', '/replication/policies']],
    getReplicationPolicy: [['GET', `/replication/policies/${ids.policy}`]],
    listReplicationExecutions: [['GET', '/replication/executions']],
    getReplicationExecution: [['GET', `/replication/executions/${ids.execution}`]],
    listReplicationTasks: [['GET', `/replication/executions/${ids.execution}/tasks`]],
    getReplicationLog: [['GET', `/replication/executions/${ids.execution}/tasks/1/log`]],
    ListRobot: [['GET', '/robots']],
    GetRobotByID: [['GET', `/robots/${ids.robot}`]],
    RefreshSec: [['PATCH', `/robots/${ids.robot}`, {}]],
    listUsers: [['GET', '/users']],
    getCurrentUserInfo: [['GET', '/users/current']],
    getPing: [['GET', '/ping']],
    getProjectMember: [['GET', `/projects/shape/members/${ids.members}`]],
    listAllRepositories: [['GET', '/repositories']],
    getRegistryInfo: [['GET', `/registries/${ids.registry}/info`]],
    getVolumes: [['GET', '/systeminfo/volumes']],
    getCurrentUserPermissions: [
      ['GET', '/users/current/permissions?scope=/project/1&relative=true'],
      ['GET', '/users/current/permissions?scope=/project/1'],
    ],
    searchUsers: [['GET', '/users/search?username=shap']],
    getUser: [['GET', '/users/1']],
  });

  it(`reads Harbor's schemas from ${harbor.source.repository} ${harbor.source.path} at ${harbor.source.commit.slice(0, 12)}`, () => {
    assert.ok(Object.keys(harbor.definitions).length > 40);
  });

  it('calls every operation Berth shares with Harbor', () => {
    const table = new Set([...Object.keys(calls()), 'CreateRobot']);
    assert.deepEqual(
      sharedOperations().filter((id) => !table.has(id)),
      [],
    );
  });

  it("answers each in the shape of Harbor's schema, with every field Harbor names", async () => {
    const failures: string[] = [];
    const check = (operationId: string, what: string, body: unknown) => {
      const { schema, validate } = responseSchema(operationId);
      if (!validate(body)) failures.push(`${operationId} ${what}: ${ajv.errorsText(validate.errors, { separator: '; ' }).slice(0, 600)}`);
      const def = definitionOf(schema);
      if (!def) return;
      const items = schema.type === 'array' ? (body as unknown[]) : schema.additionalProperties ? Object.values(body as object) : [body];
      if (schema.type === 'array' && !items.length) failures.push(`${operationId} ${what}: answered no items to check`);
      const missing = new Set(items.flatMap((item) => missingProperties(def, item)));
      if (missing.size) failures.push(`${operationId} ${what}: ${def} lacks ${[...missing].join(', ')}`);
    };
    for (const [operationId, requests] of Object.entries(calls())) {
      for (const [method, path, body] of requests) {
        const res = await api(method, path, body);
        if (res.status >= 300) {
          failures.push(`${operationId} ${method} ${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
          continue;
        }
        const type = res.headers.get('content-type') ?? '';
        check(operationId, `${method} ${path}`, type.includes('json') ? await res.json() : await res.text());
      }
    }
    check('CreateRobot', 'POST /robots', JSON.parse(String(ids.robotCreated)));
    assert.deepEqual(failures, []);
  });

  it("fills an image's extra_attrs from its config, and an index's with nothing", async () => {
    const image = await (await api('GET', '/projects/shape/repositories/app/artifacts/v1')).json();
    assert.equal(image.extra_attrs.architecture, 'amd64');
    assert.equal(image.extra_attrs.os, 'linux');
    assert.deepEqual(Object.keys(image.extra_attrs).sort(), ['architecture', 'author', 'config', 'created', 'os']);
    const index = await (await api('GET', `/projects/shape/repositories/app/artifacts/${ids.index}`)).json();
    assert.deepEqual(index.extra_attrs, {});
  });

  it("puts the project's quota in its summary, as /quotas has it", async () => {
    await api('PUT', `/quotas/${ids.quota}`, { hard: { storage: 5 * 1024 ** 3 } });
    const quota = await (await api('GET', `/quotas/${ids.quota}`)).json();
    const project = await (await api('GET', `/projects/${quota.ref.name}/summary`)).json();
    assert.deepEqual(project.quota, { hard: { storage: 5 * 1024 ** 3 }, used: { storage: quota.used.storage } });
  });

  it('gives the built-in library project the admin as its owner, as Harbor does', async () => {
    const library = await (await api('GET', '/projects/library')).json();
    assert.equal(library.owner_name, 'admin');
    assert.equal(typeof library.owner_id, 'number');
  });
});
