// Sign-in settings (Harbor's /configurations), the LDAP ping, and user groups.
import type { ConfigurationItem, UserGroupView } from '@berth/api-types';
import { getJson, getPage, del, post, put } from './client';

export const identityKeys = {
  configurations: ['configurations'] as const,
  groups: ['usergroups'] as const,
  groupPage: (page: number) => ['usergroups', page] as const,
};

export function getConfigurations() {
  return getJson<Record<string, ConfigurationItem>>('/configurations');
}

export function updateConfigurations(values: Record<string, unknown>) {
  return put('/configurations', values);
}

export async function pingLdap(values: Record<string, unknown>): Promise<{ success: boolean; message: string }> {
  return (await post('/ldap/ping', values)).json();
}

export function listUserGroups(p: { page: number; pageSize: number }) {
  return getPage<UserGroupView>(`/usergroups?page=${p.page}&page_size=${p.pageSize}`);
}

export function addLdapGroup(dn: string, name?: string) {
  return post('/usergroups', { group_type: 1, ldap_group_dn: dn, ...(name ? { group_name: name } : {}) });
}

export function deleteUserGroup(id: number) {
  return del(`/usergroups/${id}`);
}
