/**
 * Declarative scenario descriptions: hosts and what they say to each other, with the faults to
 * inject. One description drives the fixture captures, the flow-log fixtures and the tests, so
 * the files in fixtures/ and what the tests expect cannot drift apart.
 */

export interface ScenarioHost {
  ip: string;
  /** DNS name; cloud hosts are found by name (DNS answer + SNI). */
  name?: string;
  /** Roles the fixture inventory gives it (cloud hosts get theirs from DNS and SNI instead). */
  roles?: string[];
}

/** How a TCP or UDP exchange ends. */
export type ExchangeFault =
  | 'none' // handshake, data both ways, FIN close
  | 'drop' // SYNs (or UDP requests) sent, nothing comes back: S0
  | 'reset' // SYN answered by RST: REJ
  | 'icmp-admin' // an ICMP 3/13 administratively prohibited from `via`
  | 'icmp-port' // ICMP 3/3 port unreachable from the destination
  | 'reset-after-hello' // a proxy or SNI filter resets after the TLS ClientHello
  | 'drop-after-hello'; // a TLS-inspecting firewall drops the ClientHello: resent twice, then the client resets

export interface TcpExchange {
  kind: 'tcp';
  /** Seconds after the scenario start. */
  at: number;
  from: string;
  to: string;
  port: number;
  fault?: ExchangeFault;
  /** The router or firewall that sends the ICMP error. */
  via?: string;
  /** Bytes each way in the data phase. */
  bytes?: [number, number];
  /** TLS ClientHello server name to send first. */
  sni?: string;
  /**
   * The client is a current browser (Edge, Chrome): its ClientHello carries a post-quantum key share
   * before server_name and is larger than one segment, so the name travels in the second.
   */
  browser?: boolean;
  /** How many SYNs a dropped attempt sends (Windows: 1 + 2 retransmissions). */
  synTries?: number;
  /**
   * The `to` host is an explicit HTTP proxy: the client asks it for a tunnel to this `host:port`
   * (HTTP CONNECT) and the proxy answers with `proxyStatus` (default 200, then the data flows).
   */
  connect?: string;
  /** Likewise, a plain-HTTP request to the proxy for this absolute URL (`GET http://...`). */
  fetch?: string;
  proxyStatus?: [number, string];
}

export interface UdpExchange {
  kind: 'udp';
  at: number;
  from: string;
  to: string;
  port: number;
  fault?: ExchangeFault;
  via?: string;
  bytes?: [number, number];
}

export interface DnsLookup {
  kind: 'dns';
  at: number;
  client: string;
  server: string;
  name: string;
  /** Addresses answered (A/AAAA); or the failure. `cname` adds an alias hop first. */
  answer: string[] | 'NXDOMAIN' | 'SERVFAIL' | 'no-reply';
  cname?: string;
}

/** An RPC endpoint-mapper exchange on 135 that hands out a dynamic port, then a connection to it. */
export interface RpcExchange {
  kind: 'rpc';
  at: number;
  client: string;
  server: string;
  /** The port the endpoint mapper hands out. */
  dynamicPort: number;
  /** What happens on the dynamic port. */
  fault?: ExchangeFault;
}

export type Exchange = TcpExchange | UdpExchange | DnsLookup | RpcExchange;

export interface Scenario {
  /** File stem: fixtures/<name>.pcapng. */
  name: string;
  title: string;
  description: string;
  /** Start time, ISO 8601 UTC. */
  start: string;
  hosts: Record<string, ScenarioHost>;
  exchanges: Exchange[];
  /** Conditions the scenario's environment uses (the README shows `--feature` with these). */
  features?: string[];
  /** What the audit must find: rule id → status, for the host pairs named (`src>dst`). */
  expect: { rule: string; src: string; dst: string; status: string }[];
}
