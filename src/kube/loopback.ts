import { isIP } from 'node:net';

/**
 * Loopback names and addresses: traffic to them never leaves the machine, which is why browsers count
 * http://localhost as a secure context (W3C Secure Contexts, "potentially trustworthy origin").
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}
