// What a user name may be, wherever a user is created (the users API, a directory or an
// identity provider's first sign-in). Robot names (robot$…) can never match it.
export const usernamePattern = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;
export const usernameRule = 'a user name is 1 to 255 letters, digits, ".", "_" or "-", starting with a letter or digit';
