import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import http2 from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { type SecureVersion, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import { generate } from 'selfsigned';
import { loadTls, tlsServerOptions } from '../../src/tls/options.js';
import { type TestContext, listenOnLoopback, startApp } from './app.js';

/*
 * For the HTTPS tests: a real `butaca serve` process, and requests over real TLS with HTTP/1.1
 * (node:https) and HTTP/2 (node:http2), each trusting only the certificate the test names.
 */

export const REQUEST_TIMEOUT_MS = 10_000;
export const START_TIMEOUT_MS = 20_000;

export interface TlsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The protocol ALPN settled on: 'h2', 'http/1.1', or false when the client offered none. */
  alpn: string | false;
}

export interface TlsRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The certificate to trust (only it). */
  ca: Buffer | string;
  /** The name to check the certificate against (SNI); 127.0.0.1 by default. */
  servername?: string;
  /** ALPN offer; none by default, as node:https sends none. */
  alpn?: string[];
}

function withTimeout<T>(what: string, work: (done: (err: Error | null, value?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cancel = (): void => {};
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(`${what}: no answer within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    cancel = work((err, value) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

/** One request over HTTP/1.1 on TLS, on a connection of its own. */
export function h1Request(port: number, opts: TlsRequest): Promise<TlsResponse> {
  return withTimeout(`HTTP/1.1 ${opts.path}`, (done) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
        ca: opts.ca,
        ...(opts.servername ? { servername: opts.servername } : {}),
        ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}),
        agent: false,
      },
      (res) => {
        const alpn = (res.socket as TLSSocket).alpnProtocol || false;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done(null, { status: res.statusCode ?? 0, headers: res.headers, body, alpn }));
        res.on('error', done);
      },
    );
    req.on('error', done);
    req.end(opts.body);
    return () => req.destroy();
  });
}

/** One request over HTTP/2, on a session of its own (closed afterwards). */
export function h2Request(port: number, opts: TlsRequest): Promise<TlsResponse> {
  return withTimeout(`HTTP/2 ${opts.path}`, (done) => {
    // No servername for an address: SNI carries names only (node warns), and the address is checked anyway.
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: opts.ca, ...(opts.servername ? { servername: opts.servername } : {}) });
    session.on('error', done);
    const stream = session.request({
      ':method': opts.method ?? 'GET',
      ':path': opts.path,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    });
    let head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (head = headers));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      const alpn = session.alpnProtocol || false;
      session.close();
      const { ':status': status, ...headers } = head;
      done(null, { status: status ?? 0, headers: headers as IncomingHttpHeaders, body, alpn });
    });
    stream.on('error', done);
    stream.end(opts.body);
    return () => session.destroy();
  });
}

/** One plain-HTTP request with the Host header and request target given as they are (the redirect listener's checks). */
export function plainRequest(port: number, method: string, target: string, host?: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return withTimeout(`HTTP ${method} ${target}`, (done) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: target, headers: host === undefined ? {} : { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(null, { status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', done);
    req.end();
    return () => req.destroy();
  });
}

/** The session cookie of a login answer as `name=value`, and its attributes as written. */
export function sessionCookieOf(headers: { 'set-cookie'?: string | string[] | undefined }): { pair: string; attributes: string[]; name: string } {
  const header = headers['set-cookie'] ?? [];
  const raw = typeof header === 'string' ? [header] : header;
  const line = raw.find((c) => /^(__Host-)?butaca_session=/.test(c));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(raw)}`);
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return { pair: pair!, attributes, name: pair!.slice(0, pair!.indexOf('=')) };
}

export interface Handshake {
  /** The suite and protocol agreed on, or the error the handshake failed with. */
  cipher?: string;
  version?: string;
  error?: string;
}

/**
 * A TLS handshake alone (no HTTP) offering only `ciphers` (TLS 1.2 names) or, with `tls13`, only
 * that TLS 1.3 suite: what the server agrees to, or why it refused.
 */
export function tlsHandshake(
  port: number,
  offer: { ciphers?: string; tls13?: string; minVersion?: SecureVersion; maxVersion?: SecureVersion },
): Promise<Handshake> {
  return withTimeout(`TLS handshake ${offer.ciphers ?? offer.tls13}`, (done) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      // Only the suites are under test here; who the certificate names is checked elsewhere.
      rejectUnauthorized: false,
      maxVersion: offer.maxVersion ?? (offer.tls13 ? 'TLSv1.3' : 'TLSv1.2'),
      minVersion: offer.minVersion ?? (offer.tls13 ? 'TLSv1.3' : 'TLSv1.2'),
      ...(offer.ciphers ? { ciphers: offer.ciphers } : {}),
      ...(offer.tls13 ? { ciphers: offer.tls13 } : {}),
    });
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher();
      done(null, { cipher: cipher.standardName ?? cipher.name, version: socket.getProtocol() ?? '' });
      socket.destroy();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(null, { error: err.code ?? err.message }));
    return () => socket.destroy();
  });
}

export interface TlsApp {
  ctx: TestContext;
  port: number;
  /** The certificate, for clients to trust. */
  ca: string;
  close: () => Promise<void>;
}

/**
 * The app in this process serving HTTPS (HTTP/2 and HTTP/1.1) on a loopback port, with the server
 * options `serve` uses, over a fresh certificate for 127.0.0.1 with an RSA or EC key.
 */
export async function startTlsApp(
  env: Record<string, string> = {},
  opts: { keyType?: 'rsa' | 'ec'; logger?: FastifyServerOptions['logger'] } = {},
): Promise<TlsApp> {
  const keyType = opts.keyType ?? 'ec';
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType,
    ...(keyType === 'rsa' ? { keySize: 2048 } : {}),
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-tls-'));
  writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
  writeFileSync(path.join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  const material = (await loadTls({ kind: 'files', certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') }))!;
  const ctx = await startApp(env, { server: tlsServerOptions(material), ...(opts.logger ? { logger: opts.logger } : {}) });
  const port = await listenOnLoopback(ctx);
  return {
    ctx,
    port,
    ca: pems.cert,
    close: async () => {
      try {
        await ctx.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A connected HTTP/2 session trusting only `ca`; rejects if it cannot connect in time. */
export function h2Connect(port: number, ca: Buffer | string): Promise<http2.ClientHttp2Session> {
  return withTimeout('HTTP/2 connect', (done) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
    session.once('remoteSettings', () => done(null, session));
    session.once('error', done);
    return () => session.destroy();
  });
}

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  /** The RST_STREAM code the stream closed with (0: none, or NO_ERROR). */
  rstCode: number;
  /** Whether the whole request body went out before the stream closed. */
  bodySent: boolean;
}

/** One request on an open session: its answer, how the stream ended, and whether the body was all sent. */
export function h2Exchange(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Answer> {
  return withTimeout(`HTTP/2 ${String(headers[':method'] ?? 'GET')} ${String(headers[':path'])}`, (done) => {
    const stream = session.request(headers);
    let head: http2.IncomingHttpHeaders = {};
    let text = '';
    let bodySent = false;
    stream.setEncoding('utf8');
    stream.on('response', (h) => (head = h));
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('finish', () => (bodySent = true));
    stream.on('error', () => {}); // the close below reports how it ended
    stream.on('close', () => {
      const { ':status': status, ...rest } = head;
      done(null, { status: Number(status ?? 0), headers: rest, body: text, rstCode: stream.rstCode ?? 0, bodySent });
    });
    stream.end(body);
    return () => stream.close(http2.constants.NGHTTP2_CANCEL);
  });
}

function h2Frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Opens `count` streams (GET `path`) in one write on a fresh HTTP/2 connection, written frame by
 * frame so that no client-side limit applies (node:http2 and nghttp2 clients queue past the
 * server's SETTINGS_MAX_CONCURRENT_STREAMS): how many were answered and how many reset, by code.
 */
export function h2Burst(port: number, count: number, path: string): Promise<{ answered: number; reset: Record<number, number> }> {
  return withTimeout(`HTTP/2 burst of ${count} streams`, (done) => {
    const answered = new Set<number>();
    const reset: Record<number, number> = {};
    let resets = 0;
    // HPACK: indexed :method GET (2) and :scheme https (7); literal :path (4) and :authority (1).
    const literal = (index: number, value: string): Buffer => Buffer.concat([Buffer.from([index, value.length]), Buffer.from(value, 'latin1')]);
    const block = Buffer.concat([Buffer.from([0x82, 0x87]), literal(0x04, path), literal(0x01, `127.0.0.1:${port}`)]);
    const socket = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), h2Frame(4, 0, 0, Buffer.alloc(0))];
      for (let i = 0; i < count; i++) frames.push(h2Frame(1, 0x5 /* END_STREAM | END_HEADERS */, 1 + 2 * i, block));
      socket.write(Buffer.concat(frames));
    });
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const [type, flags] = [pending[3], pending[4]];
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        const payload = pending.subarray(9, 9 + length);
        if (type === 4 && !((flags ?? 0) & 1)) socket.write(h2Frame(4, 1, 0, Buffer.alloc(0))); // ACK the server's SETTINGS
        if (type === 1) answered.add(streamId);
        if (type === 3) {
          const code = payload.readUInt32BE(0);
          reset[code] = (reset[code] ?? 0) + 1;
          resets++;
        }
        pending = pending.subarray(9 + length);
      }
      if (answered.size + resets >= count) {
        socket.destroy();
        done(null, { answered: answered.size, reset });
      }
    });
    socket.on('error', done);
    return () => socket.destroy();
  });
}

/** HPACK's integer with an N-bit prefix (RFC 7541 §5.1), first byte's high bits `flags`. */
function hpackInteger(value: number, prefixBits: number, flags = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([flags | value]);
  const bytes = [flags | max];
  for (value -= max; value >= 128; value >>= 7) bytes.push((value & 0x7f) | 0x80);
  bytes.push(value);
  return Buffer.from(bytes);
}

/** A header field as HPACK "literal without indexing, new name", no Huffman: what any server decodes. */
function hpackLiteral(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0]), hpackInteger(n.length, 7), n, hpackInteger(v.length, 7), v]);
}

export interface RawUpload {
  /** The answer's DATA, as text (its HEADERS are HPACK-compressed, its body is not). */
  body: string;
  /** Whether every byte of the request body went out, the last DATA frame with END_STREAM. */
  bodySent: boolean;
  /** The RST_STREAM the server sent, and whether it came while the body was still going out. */
  reset: { code: number; whileSending: boolean } | undefined;
}

/**
 * One POST/PUT over HTTP/2 written frame by frame, sending the whole body as fast as the server's
 * flow-control windows allow, as a client does that writes before it reads: whether the server
 * let it send it all, and what it answered. (node:http2's client cannot say whether a stream
 * ended by RST_STREAM NO_ERROR or normally, and drops the rest of its body either way.)
 */
export function h2RawUpload(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<RawUpload> {
  return withTimeout(`raw HTTP/2 ${method} ${path}`, (done) => {
    const STREAM = 1;
    let connectionWindow = 65_535;
    let streamWindow = 65_535;
    let maxFrame = 16_384;
    let offset = 0;
    let bodySent = false;
    let answer = '';
    let reset: RawUpload['reset'];
    let answerEnded = false;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      done(null, { body: answer, bodySent, reset });
    };
    const pump = (): void => {
      const frames: Buffer[] = [];
      while (!bodySent && !reset) {
        const size = Math.min(maxFrame, connectionWindow, streamWindow, body.length - offset);
        if (size <= 0 && offset < body.length) break; // wait for WINDOW_UPDATE
        const last = offset + size >= body.length;
        frames.push(h2Frame(0, last ? 0x1 : 0, STREAM, body.subarray(offset, offset + size)));
        offset += size;
        connectionWindow -= size;
        streamWindow -= size;
        if (last) bodySent = true;
      }
      // One write for all that the windows allow: many small ones would wait on Nagle's algorithm.
      if (frames.length > 0) socket.write(Buffer.concat(frames));
      if (bodySent && answerEnded) finish();
    };
    const block = Buffer.concat([
      hpackLiteral(':method', method),
      hpackLiteral(':scheme', 'https'),
      hpackLiteral(':path', path),
      hpackLiteral(':authority', `127.0.0.1:${port}`),
      ...Object.entries({ ...headers, 'content-length': String(body.length) }).map(([k, v]) => hpackLiteral(k, v)),
    ]);
    const socket = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      socket.setNoDelay(true);
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), h2Frame(4, 0, 0, Buffer.alloc(0)), h2Frame(1, 0x4 /* END_HEADERS */, STREAM, block)]));
    });
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const type = pending[3];
        const flags = pending[4] ?? 0;
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        const payload = pending.subarray(9, 9 + length);
        pending = pending.subarray(9 + length);
        if (type === 4 && !(flags & 1)) {
          for (let i = 0; i + 6 <= payload.length; i += 6) {
            const [id, value] = [payload.readUInt16BE(i), payload.readUInt32BE(i + 2)];
            if (id === 4) streamWindow += value - 65_535;
            if (id === 5) maxFrame = value;
          }
          socket.write(h2Frame(4, 1, 0, Buffer.alloc(0)));
        } else if (type === 8) {
          if (streamId === 0) connectionWindow += payload.readUInt32BE(0) & 0x7fffffff;
          else if (streamId === STREAM) streamWindow += payload.readUInt32BE(0) & 0x7fffffff;
        } else if (type === 0 && streamId === STREAM) {
          answer += payload.toString('latin1');
          // Give the window back, as a reading client does.
          if (payload.length > 0) socket.write(Buffer.concat([h2Frame(8, 0, 0, u32(payload.length)), h2Frame(8, 0, STREAM, u32(payload.length))]));
          if (flags & 1) answerEnded = true;
        } else if (type === 1 && streamId === STREAM) {
          if (flags & 1) answerEnded = true;
        } else if (type === 3 && streamId === STREAM) {
          reset = { code: payload.readUInt32BE(0), whileSending: !bodySent };
          finish();
        } else if (type === 7) {
          finish();
        }
      }
      pump();
    });
    socket.on('error', done);
    socket.on('close', finish);
    return () => socket.destroy();
  });
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}
