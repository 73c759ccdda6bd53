/**
 * DNS resolution as a chain of plugins, like CoreDNS: each tap of the
 * `dns.resolve` hook either answers or passes the query on.
 */

export type DnsRecordType = 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT' | 'NS' | 'SOA' | 'MX' | 'ANY';

export interface DnsQuery {
  /** Lower-case, without the trailing dot. */
  readonly name: string;
  readonly type: DnsRecordType;
  /** The client's address, for policy plugins. */
  readonly client?: string;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: DnsRecordType;
  readonly ttl: number;
  readonly data: unknown;
}

/** An answer ends the chain. `rcode` NXDOMAIN is an answer too (authoritative "does not exist"). */
export interface DnsAnswer {
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  readonly answers: readonly DnsRecord[];
  readonly authoritative?: boolean;
  /** The plugin that answered. */
  readonly plugin: string;
}
