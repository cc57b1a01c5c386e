/**
 * The course client scenario (test/course-scenario.ts) over the network, over HTTP/2 only: what
 * scripts/nginx-two-instances.sh runs through nginx. Expects an empty database with one
 * administrator.
 *
 *   ADMIN_USERNAME=admin ADMIN_PASSWORD=… node --import tsx scripts/course-through.ts https://127.0.0.1:8443
 *
 * LOCAL_ADDRESS (e.g. 127.0.0.2) makes the connection come from that address, so that the
 * instances' logs can show they saw the visitor's address rather than the proxy's. The
 * certificate is not checked (the script's is self-signed for the occasion).
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { type ScenarioResponse, type Send, runCourseScenario } from '../test/support/course-scenario.js';

const REQUEST_TIMEOUT_MS = 15_000;

// Connection-level headers have no place in HTTP/2 (node refuses them); `requests` sends one.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

/** A Send over one HTTP/2 connection; fails on anything but HTTP/2 (ALPN h2). */
function http2Send(session: http2.ClientHttp2Session): Send {
  return ({ method, url, headers, payload }) =>
    new Promise<ScenarioResponse>((resolve, reject) => {
      const outgoing: http2.OutgoingHttpHeaders = { ':method': method, ':path': url };
      for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name.toLowerCase())) outgoing[name.toLowerCase()] = value;
      const stream = session.request(outgoing);
      stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
      stream.on('response', (h) => (head = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => {
        if (head[':status'] === undefined) return reject(new Error(`${method} ${url}: no response (stream closed, code ${stream.rstCode})`));
        const out: ScenarioResponse['headers'] = {};
        for (const [name, value] of Object.entries(head)) {
          if (name.startsWith(':') || value === undefined) continue;
          out[name] = Array.isArray(value) ? value : name === 'set-cookie' ? [String(value)] : String(value);
        }
        resolve({ statusCode: head[':status'], headers: out, body: Buffer.concat(chunks).toString('utf8') });
      });
      stream.end(payload);
    });
}

async function connect(base: string, localAddress: string | undefined): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(base, { rejectUnauthorized: false, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no HTTP/2 connection to ${base} within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    session.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  assert.equal(session.alpnProtocol, 'h2', 'the proxy speaks HTTP/2');
  return session;
}

async function main(): Promise<void> {
  const base = process.argv[2];
  const username = process.env.ADMIN_USERNAME ?? 'admin';
  const password = process.env.ADMIN_PASSWORD;
  if (!base || !password) throw new Error('usage: ADMIN_PASSWORD=… node --import tsx scripts/course-through.ts https://HOST:PORT');
  const session = await connect(base, process.env.LOCAL_ADDRESS);
  try {
    const send = http2Send(session);
    const auth = await send({
      method: 'POST',
      url: '/auth',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username, password }).toString(),
    });
    assert.equal(auth.statusCode, 200, `admin token: ${auth.body}`);
    const adminToken = (JSON.parse(auth.body) as { access_token: string }).access_token;
    await runCourseScenario(send, { adminToken, https: new URL(base).protocol === 'https:' });
  } finally {
    session.close();
  }
  process.stdout.write('course scenario: every request and assertion passed over HTTP/2\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`course scenario failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
