export { formatIp, fromIPv6, type IpAddress, parseIPv4, parseIPv6 } from './ip-address.ts';
export {
  CLIENT_IP_FLAGS,
  type ClientIpFlag,
  type ClientIpRequest,
  type ClientIpResult,
  type HeaderSource,
  MAX_HOPS,
  type ResolveClientIpOptions,
  resolveClientIp,
} from './resolve-client-ip.ts';
export {
  compileTrustedProxies,
  MIN_IPV4_PREFIX,
  MIN_IPV6_PREFIX,
  type TrustedProxies,
  TrustedProxyConfigError,
  type TrustedProxyConfigIssue,
} from './trusted-proxies.ts';
export { MAX_XFF_ELEMENT_LENGTH } from './x-forwarded-for.ts';
