// Robot accounts of a project: the paths and keys; a secret comes back only on creation
// and on refresh, which is why those two return it.
import type { RobotView } from '@berth/api-types';
import { del, getPage, post, put, request } from './client';

export const robotKeys = {
  project: (projectId: number) => ['robots', projectId] as const,
  list: (projectId: number, page: number) => ['robots', projectId, page] as const,
};

export interface NewRobot {
  name: string;
  description: string;
  level: 'project';
  /** Days; -1 never expires. */
  duration: number;
  permissions: Array<{ kind: 'project'; namespace: string; access: Array<{ resource: string; action: string }> }>;
}

export function listProjectRobots(projectId: number, p: { page: number; pageSize: number }) {
  return getPage<RobotView>(`/robots?q=${encodeURIComponent(`Level=project,ProjectID=${projectId}`)}&page=${p.page}&page_size=${p.pageSize}`);
}

export async function createRobot(body: NewRobot): Promise<{ name: string; secret: string }> {
  const res = await post('/robots', body);
  return (await res.json()) as { name: string; secret: string };
}

export function updateRobot(id: number, body: { disable: boolean }) {
  return put(`/robots/${id}`, body);
}

/** A new secret for the robot; the old one stops working. */
export async function refreshRobotSecret(id: number): Promise<string> {
  const res = await request('PATCH', `/robots/${id}`, {});
  return ((await res.json()) as { secret: string }).secret;
}

export function deleteRobot(id: number) {
  return del(`/robots/${id}`);
}
