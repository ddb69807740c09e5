// The part of syslog-client (no bundled types) Berth uses.
declare module 'syslog-client' {
  import type { EventEmitter } from 'node:events';
  export const Transport: { Tcp: number; Udp: number };
  export const Facility: Record<'Kernel' | 'User' | 'System' | 'Audit' | 'Alert' | 'Local0' | 'Local1' | 'Local7', number>;
  export const Severity: Record<'Emergency' | 'Alert' | 'Critical' | 'Error' | 'Warning' | 'Notice' | 'Informational' | 'Debug', number>;
  export interface ClientOptions {
    port?: number;
    transport?: number;
    rfc3164?: boolean;
    appName?: string;
    syslogHostname?: string;
    facility?: number;
    severity?: number;
    tcpTimeout?: number;
  }
  export interface Client extends EventEmitter {
    log(message: string, options: Record<string, unknown>, cb: (err?: Error) => void): void;
    close(): void;
  }
  export function createClient(target: string, options?: ClientOptions): Client;
  const _default: { createClient: typeof createClient; Transport: typeof Transport; Facility: typeof Facility; Severity: typeof Severity };
  export default _default;
}
