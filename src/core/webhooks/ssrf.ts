import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { hasUnsafeUrlCharacter } from '../shared/text.js';

/**
 * The SSRF guard of outbound webhooks. An endpoint may target only http(s) URLs without credentials, of at most
 * 2048 characters, whose host is not — and does not resolve to — a loopback, private, link-local, unique-local,
 * shared (CGNAT), multicast, documentation or otherwise reserved address, v4 or v6 (IPv4-mapped, NAT64 and 6to4 forms
 * are judged by the IPv4 address they embed). The allowlist (`WEBHOOK_ALLOWED_HOSTS`: host names, addresses, CIDRs)
 * lifts the rule for what it names. Checked on save (`checkWebhookUrl`: syntax, literal addresses, `localhost`) and
 * at send time (`resolveWebhookTarget`: every address the name resolves to, and the request then connects to the
 * address that was checked — a second resolution cannot swap in another).
 */

export const MAX_URL_LENGTH = 2048;

type Range = [address: string, prefix: number, reason: string];

const V4_RANGES: Range[] = [
  ['0.0.0.0', 8, 'a reserved ("this network") address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved (IETF protocol) address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a reserved (6to4 relay) address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved (benchmarking) address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

const V6_RANGES: Range[] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['100::', 64, 'a reserved (discard) address'],
  ['2001::', 32, 'a reserved (Teredo) address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, 'a unique-local address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const blocked = { v4: V4_RANGES.map(toList('ipv4')), v6: V6_RANGES.map(toList('ipv6')) };

function toList(family: 'ipv4' | 'ipv6') {
  return ([address, prefix, reason]: Range) => {
    const list = new BlockList();
    list.addSubnet(address, prefix, family);
    return { list, reason };
  };
}

/** The 16 bytes of an IPv6 address (zone id dropped), or null when it is not one. */
function ipv6Bytes(address: string): number[] | null {
  const text = address.replace(/%.*$/, '');
  if (isIP(text) !== 6) return null;
  let head = text;
  let tailV4: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tailV4 = dotted[1]!.split('.').map(Number);
    head = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const l = groups(left);
  const r = groups(right);
  const fill = right === undefined ? [] : Array(8 - l.length - r.length).fill('0');
  const all = [...l, ...fill, ...r].map((g) => Number.parseInt(g, 16));
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tailV4.length) bytes.splice(12, 4, ...tailV4);
  return bytes.length === 16 ? bytes : null;
}

/** The IPv4 address an IPv6 one embeds (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`). */
function embeddedV4(bytes: number[]): string | null {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const v4 = (at: number) => bytes.slice(at, at + 4).join('.');
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12);
  if (zero(0, 12)) return v4(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12)) return v4(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2);
  return null;
}

/** Why an address may not be a webhook target (e.g. "a loopback address"), or null when it is a public one. */
export function blockedAddressReason(address: string): string | null {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return blocked.v4.find((r) => r.list.check(address, 'ipv4'))?.reason ?? null;
  if (family !== 6) return 'not an IP address';
  const plain = address.replace(/%.*$/, '');
  const bytes = ipv6Bytes(plain);
  if (!bytes) return 'not an IP address';
  const own = blocked.v6.find((r) => r.list.check(plain, 'ipv6'))?.reason;
  if (own) return own;
  const v4 = embeddedV4(bytes);
  return v4 ? blockedAddressReason(v4) : null;
}

/** What `WEBHOOK_ALLOWED_HOSTS` permits: host names (exact, case-insensitive) and addresses/CIDRs. */
export interface HostAllowlist {
  hosts: ReadonlySet<string>;
  addresses: BlockList;
  entries: readonly string[];
}

export function parseHostAllowlist(entries: readonly string[]): HostAllowlist {
  const hosts = new Set<string>();
  const addresses = new BlockList();
  for (const raw of entries) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (!entry) continue;
    const [address, bits] = entry.split('/');
    const family = isIP(address!);
    if (family && bits !== undefined) addresses.addSubnet(address!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    else if (family) addresses.addAddress(address!, family === 4 ? 'ipv4' : 'ipv6');
    else hosts.add(entry.replace(/\.$/, ''));
  }
  return { hosts, addresses, entries };
}

export const NO_ALLOWLIST = parseHostAllowlist([]);

function addressAllowed(address: string, allow: HostAllowlist): boolean {
  const family = isIP(address);
  return family !== 0 && allow.addresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL's host without brackets or a trailing dot, lower-cased. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

const LOCAL_NAMES = /(^|\.)(localhost|localhost\.localdomain)$/;

/** The URL's problem as a user-facing message, or null (with the normalized URL) when it may be saved. */
export function checkWebhookUrl(raw: string, allow: HostAllowlist): { url: string; problem: null } | { url: null; problem: string } {
  const refuse = (problem: string) => ({ url: null, problem }) as const;
  if (typeof raw !== 'string' || raw.length === 0) return refuse('must be an http or https URL');
  if (raw.length > MAX_URL_LENGTH) return refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  if (hasUnsafeUrlCharacter(raw)) return refuse('must not contain spaces or control characters');
  if (!URL.canParse(raw)) return refuse('is not a valid URL');
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('must use http or https');
  if (url.username || url.password) return refuse('must not contain credentials (user:password@)');
  const host = hostOf(url);
  if (!host) return refuse('must name a host');
  if (url.href.length > MAX_URL_LENGTH) return refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  if (allow.hosts.has(host)) return { url: url.href, problem: null };
  if (isIP(host)) {
    const reason = blockedAddressReason(host);
    if (reason && !addressAllowed(host, allow)) return refuse(`targets ${reason} (${host}); allow it in WEBHOOK_ALLOWED_HOSTS`);
  } else if (LOCAL_NAMES.test(host)) {
    return refuse(`targets a loopback address (${host}); allow it in WEBHOOK_ALLOWED_HOSTS`);
  }
  return { url: url.href, problem: null };
}

/** A send-time refusal: the target is (or resolves to) an address the rules forbid. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

export interface ResolvedTarget {
  url: URL;
  /** The checked address the request connects to. */
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * The address to connect to, after the checks of `checkWebhookUrl` and — for a host name — a DNS resolution whose
 * every address must pass (unless the name itself is allowlisted). Throws `TargetRefused`.
 */
export async function resolveWebhookTarget(raw: string, allow: HostAllowlist, resolve: Resolver = systemResolver): Promise<ResolvedTarget> {
  const checked = checkWebhookUrl(raw, allow);
  if (checked.problem !== null) throw new TargetRefused(`refused: the URL ${checked.problem}`);
  const url = new URL(checked.url);
  const host = hostOf(url);
  const family = isIP(host);
  if (family) return { url, address: host, family: family as 4 | 6 };
  let found: { address: string; family: number }[];
  try {
    found = await resolve(host);
  } catch (error) {
    throw new Error(`DNS lookup of ${host} failed: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
  if (!found.length) throw new Error(`DNS lookup of ${host} found no address`);
  if (!allow.hosts.has(host)) {
    for (const { address } of found) {
      const reason = blockedAddressReason(address);
      if (reason && !addressAllowed(address, allow)) throw new TargetRefused(`refused: ${host} resolves to ${reason} (${address})`);
    }
  }
  const first = found[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
