// Tag immutability rules as Harbor's API shows them (/projects/{p}/immutabletagrules):
// project administrators and maintainers manage them; registry/immutability.ts applies them.
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  countImmutableRules,
  listImmutableRules,
  removeImmutableRule,
  saveImmutableRule,
  updateImmutableRule,
  type ImmutableRuleFields,
  type ImmutableRuleRow,
} from '../db/immutableRules.js';
import { DomainError } from '../lib/errors.js';
import type { ImmutableRuleView } from '../lib/harborTypes.js';
import type { Principal } from '../lib/principal.js';
import { isGlob } from '../registry/selectors.js';
import { can, type Action } from './permissions.js';
import { visibleProject } from './projects.js';

// Harbor's limit per project.
const maxRules = 15;

export function immutableRuleView(r: ImmutableRuleRow): ImmutableRuleView {
  return {
    id: r.id,
    project_id: r.project_id,
    disabled: r.disabled,
    priority: r.priority,
    action: 'immutable',
    template: 'immutable_template',
    tag_selectors: [{ kind: 'doublestar', decoration: r.tag_decoration, pattern: r.tag_pattern }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: r.repo_decoration, pattern: r.repo_pattern }] },
  };
}

async function projectFor(db: Database, principal: Principal, ref: string, byName: boolean, action: Action) {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'immutable-tag', action)) {
    throw new DomainError(
      principal.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'DENIED',
      `immutable tag rules of ${project.name}: ${action} is not allowed for you`,
    );
  }
  return project;
}

export interface ImmutableRuleInput {
  disabled?: unknown;
  priority?: unknown;
  tag_selectors?: unknown;
  scope_selectors?: { repository?: unknown };
}

function selector(list: unknown, what: string, decorations: readonly string[]): { decoration: string; pattern: string } {
  if (!Array.isArray(list) || list.length !== 1) throw new DomainError('INVALID', `${what} must hold exactly one selector`);
  const s = list[0] as { kind?: unknown; decoration?: unknown; pattern?: unknown };
  if (s.kind !== undefined && s.kind !== 'doublestar') throw new DomainError('INVALID', `${what}[0].kind must be doublestar`);
  if (typeof s.decoration !== 'string' || !decorations.includes(s.decoration))
    throw new DomainError('INVALID', `${what}[0].decoration must be ${decorations.join(' or ')}`);
  if (typeof s.pattern !== 'string' || !s.pattern || s.pattern.length > 255 || !isGlob(s.pattern)) {
    throw new DomainError('INVALID', `${what}[0].pattern must be a doublestar glob of at most 255 characters, e.g. ** or v*`);
  }
  return { decoration: s.decoration, pattern: s.pattern };
}

function parseRule(input: ImmutableRuleInput): ImmutableRuleFields {
  const tag = selector(input?.tag_selectors, 'tag_selectors', ['matches', 'excludes']);
  const repo = selector(input?.scope_selectors?.repository, 'scope_selectors.repository', ['repoMatches', 'repoExcludes']);
  if (input.disabled !== undefined && typeof input.disabled !== 'boolean') throw new DomainError('INVALID', 'disabled must be true or false');
  const priority = input.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority)) throw new DomainError('INVALID', 'priority must be an integer');
  return {
    disabled: input.disabled === true,
    priority,
    tag_decoration: tag.decoration as ImmutableRuleFields['tag_decoration'],
    tag_pattern: tag.pattern,
    repo_decoration: repo.decoration as ImmutableRuleFields['repo_decoration'],
    repo_pattern: repo.pattern,
  };
}

function ruleId(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw new DomainError('INVALID', 'a rule id is a positive integer');
  return Number(id);
}

const describe = (f: ImmutableRuleFields) => `${f.repo_decoration} ${f.repo_pattern} ${f.tag_decoration} ${f.tag_pattern}${f.disabled ? ' (disabled)' : ''}`;

export async function listImmutableRulesFor(db: Database, principal: Principal, ref: string, byName: boolean): Promise<ImmutableRuleView[]> {
  const project = await projectFor(db, principal, ref, byName, 'list');
  return (await listImmutableRules(db, project.project_id)).map(immutableRuleView);
}

export async function createImmutableRule(db: Database, principal: Principal, ref: string, byName: boolean, input: ImmutableRuleInput): Promise<number> {
  const project = await projectFor(db, principal, ref, byName, 'create');
  const f = parseRule(input);
  return db.tx(async (q) => {
    if ((await countImmutableRules(q, project.project_id)) >= maxRules)
      throw new DomainError('CONFLICT', `a project holds at most ${maxRules} immutable tag rules`);
    const id = await saveImmutableRule(q, project.project_id, f);
    if (id === undefined) throw new DomainError('CONFLICT', `${project.name} already has a rule with these selectors`);
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'immutable_tag_rule',
      resource: `${project.name} rule ${id}: ${describe(f)}`,
      projectId: project.project_id,
      projectName: project.name,
    });
    return id;
  });
}

export async function editImmutableRule(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  id: string,
  input: ImmutableRuleInput,
): Promise<void> {
  const project = await projectFor(db, principal, ref, byName, 'update');
  const f = parseRule(input);
  await db.tx(async (q) => {
    if (!(await updateImmutableRule(q, project.project_id, ruleId(id), f))) throw new DomainError('NOT_FOUND', `rule ${id} not found in ${project.name}`);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'immutable_tag_rule',
      resource: `${project.name} rule ${id}: ${describe(f)}`,
      projectId: project.project_id,
      projectName: project.name,
    });
  });
}

export async function deleteImmutableRule(db: Database, principal: Principal, ref: string, byName: boolean, id: string): Promise<void> {
  const project = await projectFor(db, principal, ref, byName, 'delete');
  await db.tx(async (q) => {
    if (!(await removeImmutableRule(q, project.project_id, ruleId(id)))) throw new DomainError('NOT_FOUND', `rule ${id} not found in ${project.name}`);
    await recordAudit(q, {
      operation: 'delete',
      resourceType: 'immutable_tag_rule',
      resource: `${project.name} rule ${id}`,
      projectId: project.project_id,
      projectName: project.name,
    });
  });
}
