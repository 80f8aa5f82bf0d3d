import { parseForwardedElement, splitForwarded, trimOws } from './forwarded.ts';
import { formatIp, type IpAddress, parseSocketAddress } from './ip-address.ts';
import type { TrustedProxies } from './trusted-proxies.ts';
import { parseXffElement } from './x-forwarded-for.ts';

/** Every flag `resolveClientIp` can raise, for dashboards and metric labels. */
export const CLIENT_IP_FLAGS = [
  /** No usable socket peer address. */
  'peer_unknown',
  /** The socket peer is not a trusted proxy: it is the client. */
  'peer_untrusted',
  /** An untrusted peer sent X-Forwarded-For or Forwarded; it was not read. */
  'xff_ignored',
  /** X-Forwarded-For was read while a Forwarded header was also present. */
  'forwarded_ignored',
  /** The configured header came as several lines, joined in order with ",". */
  'multiple_header_lines',
  /** A trusted peer sent no usable element in the configured header. */
  'xff_missing',
  /** The walk reached an element that is not an address. */
  'malformed_entry',
  /** MAX_HOPS trusted elements were examined and more remain. */
  'too_many_hops',
  /** Every element was a trusted proxy. */
  'no_untrusted_hop',
] as const;

export type ClientIpFlag = (typeof CLIENT_IP_FLAGS)[number];

/** At most this many header elements are examined, from the right. */
export const MAX_HOPS = 16;

export type HeaderSource = 'x-forwarded-for' | 'forwarded';

export type ClientIpRequest = {
  readonly remoteAddress: string | undefined;
  /** Header names in lower case, as Node.js delivers them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
};

export type ResolveClientIpOptions = { readonly headerSource?: HeaderSource };

export type ClientIpResult = {
  /** The first untrusted address, or null when there is none we can vouch for. Never a trusted proxy. */
  clientIp: string | null;
  /** [peer, each walked element...]; the client, when found, is the last element. */
  chain: string[];
  flags: ClientIpFlag[];
};

type HeaderValue = string | string[] | undefined;

function isPresent(value: HeaderValue): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0);
}

/**
 * Resolves the client address from the socket peer and the configured forwarding header. Pure, and never throws
 * on request input: anything unexpected yields `clientIp: null` with a flag.
 */
export function resolveClientIp(
  request: ClientIpRequest,
  trusted: TrustedProxies,
  options?: ResolveClientIpOptions,
): ClientIpResult {
  const flags: ClientIpFlag[] = [];
  const remoteAddress = request?.remoteAddress;
  const peer = typeof remoteAddress === 'string' ? parseSocketAddress(remoteAddress) : null;
  if (peer === null) {
    flags.push('peer_unknown');
    return { clientIp: null, chain: [], flags };
  }
  const peerText = formatIp(peer);
  const chain = [peerText];
  const headers = request.headers ?? {};
  const xff = headers['x-forwarded-for'];
  const forwarded = headers.forwarded;

  if (!trusted.matches(peer)) {
    flags.push('peer_untrusted');
    if (isPresent(xff) || isPresent(forwarded)) flags.push('xff_ignored');
    return { clientIp: peerText, chain, flags };
  }

  const useForwarded = options?.headerSource === 'forwarded';
  if (!useForwarded && isPresent(forwarded)) flags.push('forwarded_ignored');
  const raw = useForwarded ? forwarded : xff;
  let header = '';
  if (typeof raw === 'string') {
    header = raw;
  } else if (Array.isArray(raw) && raw.length > 0) {
    if (raw.length > 1) flags.push('multiple_header_lines');
    header = raw.filter((line) => typeof line === 'string').join(',');
  }

  const clientIp = useForwarded
    ? walk(splitForwarded(header), parseForwardedElement, trusted, chain, flags)
    : walk(splitXff(header), parseXffElement, trusted, chain, flags);
  return { clientIp, chain, flags };
}

function splitXff(header: string): string[] {
  const elements: string[] = [];
  for (const part of header.split(',')) {
    const element = trimOws(part, 0, part.length);
    if (element.length > 0) elements.push(element);
  }
  return elements;
}

/** Walks from the rightmost element leftwards; the first untrusted address is the client. */
function walk(
  elements: readonly string[],
  parse: (element: string) => IpAddress | null,
  trusted: TrustedProxies,
  chain: string[],
  flags: ClientIpFlag[],
): string | null {
  if (elements.length === 0) {
    flags.push('xff_missing');
    return null;
  }
  let examined = 0;
  for (let i = elements.length - 1; i >= 0; i--) {
    if (examined === MAX_HOPS) {
      flags.push('too_many_hops');
      return null;
    }
    const ip = parse(elements[i]!);
    if (ip === null) {
      flags.push('malformed_entry');
      return null;
    }
    const text = formatIp(ip);
    chain.push(text);
    examined++;
    if (!trusted.matches(ip)) return text;
  }
  flags.push('no_untrusted_hop');
  return null;
}
