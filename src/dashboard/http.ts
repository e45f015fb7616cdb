// How the dashboard's server answers: every response with headers that keep a browser from reading it
// as anything but what it is, JSON errors, server-sent events, and the loopback test the server's
// Host check and token rule rest on.
import type { ServerResponse } from 'node:http';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith('127.');

export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};
// vega compiles its expressions with Function: 'unsafe-eval', but scripts only from this server.
export const PAGE_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, ...extra });
  res.end(body);
}
export const json = (res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}) =>
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', extra);
export const fail = (res: ServerResponse, status: number, message: string) => json(res, status, { error: message });

export const sse = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

/** A file name made of the run's name that no browser or shell reads as anything but a name. */
export const safeFileName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'run';
