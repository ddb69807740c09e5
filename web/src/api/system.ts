// The system's state for administrators: each component's health, the settings
// (/systeminfo) and the audit log's own status.
import { getJson } from './client';

export interface Health {
  status: string;
  components: Array<{ name: string; status: string; error?: string }>;
}

export const systemKeys = {
  health: ['health'] as const,
  info: ['systeminfo'] as const,
  auditStatus: ['audit-status'] as const,
};

/** An unhealthy report comes with 503; it is still the report, so no error is thrown for it. */
export async function getHealth(): Promise<Health> {
  return (await fetch('/api/v2.0/health', { credentials: 'same-origin' })).json() as Promise<Health>;
}

export function getSystemInfo() {
  return getJson<Record<string, unknown>>('/systeminfo');
}

export function getAuditStatus() {
  return getJson<Record<string, unknown>>('/audit-logs/status');
}
