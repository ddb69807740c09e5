// Users: the signed-in one, the administrators' list and its changes, and passwords
// (an own change needs the old password; an administrator's reset does not).
import type { UserView } from '@berth/api-types';
import { del, getJson, getPage, post, put } from './client';

export const userKeys = {
  all: ['users'] as const,
  list: (p: { page: number; username: string }) => ['users', p.page, p.username] as const,
};

export function currentUser() {
  return getJson<UserView>('/users/current');
}

export function listUsers(p: { page: number; pageSize: number; username?: string }) {
  return getPage<UserView>(
    `/users?${new URLSearchParams({ page: String(p.page), page_size: String(p.pageSize), ...(p.username ? { username: p.username } : {}) })}`,
  );
}

export function createUser(body: { username: string; email: string; realname: string; password: string }) {
  return post('/users', body);
}

export function setSysadmin(userId: number, sysadmin: boolean) {
  return put(`/users/${userId}/sysadmin`, { sysadmin_flag: sysadmin });
}

export function changePassword(userId: number, body: { old_password?: string; new_password: string }) {
  return put(`/users/${userId}/password`, body);
}

export function setCliSecret(userId: number, secret: string) {
  return put(`/users/${userId}/cli_secret`, { secret });
}

/** A new user of the identity provider picks their Berth user name (POST /c/oidc/onboard). */
export function onboard(username: string) {
  return post('/c/oidc/onboard', { username });
}

export function deleteUser(userId: number) {
  return del(`/users/${userId}`);
}
