// Which network addresses replication may connect to. Link-local and cloud metadata
// addresses are always refused (a registry URL must never become a way to read a cloud's
// instance credentials); loopback and private ranges only when BERTH_REPLICATION_ALLOW
// says so. The check runs in the connection's own DNS lookup, so a name that resolves
// differently later (DNS rebinding) is checked again at the moment of connecting; literal
// addresses, which skip DNS, are checked before every request.
import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit, type Response as UndiciResponse } from 'undici';

export interface AllowedNetworks {
  loopback: boolean;
  private: boolean;
}

export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

function blockList(entries: Array<[string, number, 'ipv4' | 'ipv6']>, addresses: Array<[string, 'ipv4' | 'ipv6']> = []): net.BlockList {
  const list = new net.BlockList();
  for (const [a, prefix, family] of entries) list.addSubnet(a, prefix, family);
  for (const [a, family] of addresses) list.addAddress(a, family);
  return list;
}

const alwaysRefused = blockList(
  [
    ['169.254.0.0', 16, 'ipv4'], // link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
    ['0.0.0.0', 8, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  [
    ['100.100.100.200', 'ipv4'], // Alibaba Cloud metadata
    ['fd00:ec2::254', 'ipv6'], // AWS metadata over IPv6
    ['::', 'ipv6'],
  ],
);
const loopback = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const privateRanges = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['fc00::', 7, 'ipv6'], // unique local
]);

/** Why an address may not be a target, or undefined when it may. */
export function refusalOf(address: string, allow: AllowedNetworks): string | undefined {
  let a = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1];
  const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : undefined;
  if (!family) return `${address} is not an IP address`;
  if (alwaysRefused.check(a, family)) return `${address} is a link-local, metadata or unspecified address`;
  if (loopback.check(a, family) && !allow.loopback) return `${address} is a loopback address (allow it with BERTH_REPLICATION_ALLOW=loopback)`;
  if (privateRanges.check(a, family) && !allow.private) return `${address} is a private address (allow it with BERTH_REPLICATION_ALLOW=private)`;
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

function guardedLookup(allow: AllowedNetworks) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const why = refusalOf(address, allow);
        if (why) return callback(Object.assign(new TargetRefused(`${hostname} resolves to ${why}`), { code: 'EBERTHREFUSED' }), []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Checks a registry URL: http or https, no user info, and a host that may be a target. */
export async function checkTargetUrl(url: string, allow: AllowedNetworks): Promise<URL> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TargetRefused(`${JSON.stringify(url.slice(0, 200))} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TargetRefused('the URL must start with http:// or https://');
  if (u.username || u.password) throw new TargetRefused('put credentials in the credential fields, not in the URL');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host)
    ? [host]
    : await dns.promises.lookup(host, { all: true }).then(
        (r) => r.map((x) => x.address),
        (err: NodeJS.ErrnoException) => {
          throw new TargetRefused(`cannot resolve ${host}: ${err.code ?? err.message}`);
        },
      );
  for (const a of addresses) {
    const why = refusalOf(a, allow);
    if (why) throw new TargetRefused(host === a ? why : `${host} resolves to ${why}`);
  }
  return u;
}

const agents = new Map<string, Agent>();

function agentFor(insecure: boolean, allow: AllowedNetworks): Agent {
  const key = `${insecure}:${allow.loopback}:${allow.private}`;
  let agent = agents.get(key);
  if (!agent) {
    // Idle limits rather than a total one: a big layer may stream for as long as it needs.
    agent = new Agent({
      connect: { lookup: guardedLookup(allow) as never, rejectUnauthorized: !insecure },
      connectTimeout: 10_000,
      headersTimeout: 60_000,
      bodyTimeout: 120_000,
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * fetch for remote registries: the URL is checked first, the connection's lookup checks
 * again, and redirects are not followed (a caller that follows one checks the new URL).
 */
export async function targetFetch(
  url: string,
  init: UndiciRequestInit,
  opts: { insecure: boolean; allow: AllowedNetworks; timeoutMs?: number },
): Promise<UndiciResponse> {
  await checkTargetUrl(url, opts.allow);
  // timeoutMs 0: no total limit (blob transfers), only the agent's idle limits.
  const signals = [init.signal, opts.timeoutMs === 0 ? undefined : AbortSignal.timeout(opts.timeoutMs ?? 15_000)].filter((x): x is AbortSignal => !!x);
  return undiciFetch(url, {
    ...init,
    redirect: 'manual',
    dispatcher: agentFor(opts.insecure, opts.allow),
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
  });
}

export function parseAllowedNetworks(list: string[]): AllowedNetworks {
  return { loopback: list.includes('loopback'), private: list.includes('private') };
}
