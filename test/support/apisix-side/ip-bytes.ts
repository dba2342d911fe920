// $binary_remote_addr as APISIX sends it to a runner (HTTPReqCall's src_ip).
import { isIP } from 'node:net';

/** $binary_remote_addr: 4 bytes for IPv4, 16 for IPv6. */
export function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const pieces = part.split(':');
    const last = pieces.at(-1) ?? '';
    if (isIP(last) !== 4) return pieces.map((p) => parseInt(p, 16));
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...pieces.slice(0, -1).map((p) => parseInt(p, 16)), (a << 8) | b, (c << 8) | d];
  };
  const left = groups(head);
  const right = ip.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 0xff]));
}

