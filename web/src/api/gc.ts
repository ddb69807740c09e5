// Garbage collection (system administrators): runs with their logs, starting and stopping
// one, and the schedule. Runs are keyed under ['gc'], so a refetch after a change reaches all.
import type { GcHistoryView, GcScheduleView } from '@berth/api-types';
import { getJson, getPage, post, put, request } from './client';

export interface GcParameters {
  delete_untagged: boolean;
  dry_run: boolean;
  workers: number;
}

export const gcKeys = {
  all: ['gc'] as const,
  history: (page: number) => ['gc', 'history', page] as const,
  log: (id: number) => ['gc', 'log', id] as const,
  schedule: ['gc', 'schedule'] as const,
};

export function listGcRuns(p: { page: number; pageSize: number }) {
  return getPage<GcHistoryView>(`/system/gc?page=${p.page}&page_size=${p.pageSize}`);
}

export async function getGcLog(id: number): Promise<string> {
  return (await request('GET', `/system/gc/${id}/log`)).text();
}

/** Queues a run now. */
export function startGc(parameters: GcParameters) {
  return post('/system/gc/schedule', { schedule: { type: 'Manual' }, parameters });
}

export function stopGc(id: number) {
  return put(`/system/gc/${id}`, {});
}

export function getGcSchedule() {
  return getJson<GcScheduleView>('/system/gc/schedule');
}

export function setGcSchedule(schedule: { type: string; cron?: string }, parameters: GcParameters) {
  return put('/system/gc/schedule', { schedule, parameters });
}
