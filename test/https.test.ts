import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { Agent, get } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { ConfigError, loadConfig } from '../src/config.js';
import { HSTS } from '../src/tls/hsts.js';
import { loadTls, tlsServerOptions } from '../src/tls/options.js';
import { createRedirectServer } from '../src/tls/redirect.js';
import { assertOneLine, cleanUp, runCli, tempDir } from './support/cli.js';
import { PASSWORD, listenOnLoopback, startApp, wireFetch } from './support/app.js';
import { type TlsRequest, type TlsResponse, h1Request, h2Request, plainRequest, sessionCookieOf, startTlsApp, tlsHandshake } from './support/tls.js';
import { serveProcess } from './support/processes.js';

after(cleanUp);

type Send = (port: number, opts: TlsRequest) => Promise<TlsResponse>;

const json = (body: unknown): string => JSON.stringify(body);

/** Registers `username`, logs in with `login`, and checks that cookie over `use`: the whole browser flow over TLS. */
async function cookieFlow(port: number, ca: Buffer, username: string, login: Send, use: Send): Promise<void> {
  const created = await login(port, { ca, method: 'POST', path: '/api/v1/users', body: json({ username, password: PASSWORD }) });
  assert.equal(created.status, 201, created.body);
  const res = await login(port, { ca, method: 'POST', path: '/api/v1/users/login', body: json({ username, password: PASSWORD }) });
  assert.equal(res.status, 200, res.body);
  const cookie = sessionCookieOf(res.headers);
  assert.equal(cookie.name, '__Host-butaca_session');
  const attrs = cookie.attributes.map((a) => a.toLowerCase());
  assert.ok(attrs.includes('secure'), `not Secure: ${cookie.attributes.join('; ')}`);
  assert.ok(attrs.includes('httponly'), `not HttpOnly: ${cookie.attributes.join('; ')}`);
  assert.ok(attrs.includes('path=/'), `__Host- needs Path=/: ${cookie.attributes.join('; ')}`);
  assert.ok(!attrs.some((a) => a.startsWith('domain=')), `__Host- forbids Domain: ${cookie.attributes.join('; ')}`);

  const me = await use(port, { ca, path: '/api/v1/users/me', headers: { cookie: cookie.pair } });
  assert.equal(me.status, 200, me.body);
  assert.equal((JSON.parse(me.body) as { username: string }).username, username);
  // Under HTTPS only the __Host- cookie counts: the same secret under the plain name is refused.
  const plain = await use(port, { ca, path: '/api/v1/users/me', headers: { cookie: cookie.pair.replace(/^__Host-/, '') } });
  assert.equal(plain.status, 401, plain.body);
}

describe('HTTPS', { concurrency: 2 }, () => {
  it('HTTPS=self-signed: makes a localhost certificate once, serves HTTP/2 and HTTP/1.1 over it, reuses it', async () => {
    const dir = tempDir();
    const server = await serveProcess({ DATA_DIR: dir, HTTPS: 'self-signed' });
    const certFile = path.join(dir, 'tls', 'dev-cert.pem');
    const keyFile = path.join(dir, 'tls', 'dev-key.pem');
    const ca = readFileSync(certFile);
    const x509 = new X509Certificate(ca);
    try {
      assert.match(server.stdout(), new RegExp(`web client: https://127\\.0\\.0\\.1:${server.port}/`));
      assert.match(server.stdout(), new RegExp(`API docs: +https://127\\.0\\.0\\.1:${server.port}/docs`));
      assert.ok(server.stdout().includes(`SHA-256:    ${x509.fingerprint256}`), `printed fingerprint is not the file's: ${server.stdout()}`);
      assert.match(server.stdout(), /made now/);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the private key is readable by others');
      assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      assert.equal(x509.issuer, x509.subject);
      assert.ok(x509.verify(x509.publicKey), 'not signed by its own key');

      // Whichever name the client checks (127.0.0.1, localhost), the certificate is valid for it.
      for (const servername of [undefined, 'localhost']) {
        const h1 = await h1Request(server.port, { ca, path: '/healthz', servername, alpn: ['http/1.1'] });
        assert.equal(h1.status, 200, h1.body);
        assert.equal(h1.alpn, 'http/1.1');
        assert.equal(h1.headers['strict-transport-security'], HSTS);
      }
      // A client offering no ALPN at all (node:https's default, old clients) gets HTTP/1.1 too.
      const noAlpn = await h1Request(server.port, { ca, path: '/healthz' });
      assert.equal(noAlpn.status, 200);
      assert.equal(noAlpn.alpn, false);
      const h2 = await h2Request(server.port, { ca, path: '/healthz' });
      assert.equal(h2.status, 200, h2.body);
      assert.equal(h2.alpn, 'h2');
      assert.deepEqual(JSON.parse(h2.body), { status: 'ok' });
      assert.equal(h2.headers['strict-transport-security'], HSTS);
      const missing = await h2Request(server.port, { ca, path: '/api/v1/no-such-thing' });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers['strict-transport-security'], HSTS, 'errors carry HSTS too');

      // Logged in over one protocol, the cookie works over the other.
      await cookieFlow(server.port, ca, 'ana', h1Request, h2Request);
      await cookieFlow(server.port, ca, 'bea', h2Request, h1Request);
      // The same-origin check reads the host from HTTP/2's :authority as from HTTP/1.1's Host.
      for (const send of [h1Request, h2Request]) {
        const login = (origin: string) =>
          send(server.port, { ca, method: 'POST', path: '/api/v1/users/login', headers: { origin }, body: json({ username: 'ana', password: PASSWORD }) });
        assert.equal((await login(`https://127.0.0.1:${server.port}`)).status, 200, `${send.name} same origin`);
        assert.equal((await login('https://evil.example')).status, 403, `${send.name} other origin`);
        // Same host and port over plain HTTP is another origin: a page there must not write here.
        assert.equal((await login(`http://127.0.0.1:${server.port}`)).status, 403, `${send.name} same host, other scheme`);
      }

      // A client that trusts other certificates (the system's) refuses this one.
      await assert.rejects(h2Request(server.port, { ca: readFileSync(path.join(import.meta.dirname, '..', 'package.json')), path: '/healthz' }));

      // A body over the limit: HTTP/1.1 closes the connection after the 413; HTTP/2 has no
      // Connection header (Node would drop it with a warning on stderr).
      const tooBig = json({ username: 'x'.repeat(70_000), password: PASSWORD });
      const h1Big = await h1Request(server.port, { ca, method: 'POST', path: '/api/v1/users', body: tooBig });
      assert.equal(h1Big.status, 413, h1Big.body);
      assert.equal(h1Big.headers.connection, 'close');
      const h2Big = await h2Request(server.port, { ca, method: 'POST', path: '/api/v1/users', body: tooBig });
      assert.equal(h2Big.status, 413, h2Big.body);
      assert.equal(h2Big.headers.connection, undefined);
    } finally {
      const { code } = await server.stop();
      assert.equal(code, 0, server.stderr());
      assert.doesNotMatch(server.stderr(), /connection header is not valid/);
    }

    const again = await serveProcess({ DATA_DIR: dir, HTTPS: 'self-signed' });
    try {
      assert.ok(again.stdout().includes(`SHA-256:    ${x509.fingerprint256}`), `a new certificate was made: ${again.stdout()}`);
      assert.match(again.stdout(), /reused/);
      assert.deepEqual(readFileSync(certFile), ca);
      const h2 = await h2Request(again.port, { ca, path: '/healthz' });
      assert.equal(h2.status, 200);
    } finally {
      assert.equal((await again.stop()).code, 0, again.stderr());
    }
  });

  it('TLS_CERT + TLS_KEY: serves that certificate; HTTP_REDIRECT_PORT answers 308; SIGTERM closes both listeners', async () => {
    const dir = tempDir();
    const pems = await generate([{ name: 'commonName', value: 'butaca.test' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'butaca.test' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(certFile, pems.cert);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    const server = await serveProcess({ DATA_DIR: path.join(dir, 'data'), TLS_CERT: certFile, TLS_KEY: keyFile, HTTP_REDIRECT_PORT: '0' });
    const port = server.port;
    const redirectPort = server.redirectPort!;
    try {
      assert.ok(redirectPort > 0 && redirectPort !== port, server.stdout());
      assert.ok(server.stdout().includes(`TLS cert:   ${certFile} (TLS_CERT)`), server.stdout());
      assert.ok(server.stdout().includes(new X509Certificate(pems.cert).fingerprint256), server.stdout());
      assert.ok(!existsDevCert(path.join(dir, 'data')), 'a development certificate was made beside TLS_CERT');

      const h2 = await h2Request(port, { ca: pems.cert, path: '/healthz', servername: 'butaca.test' });
      assert.equal(h2.status, 200);
      assert.equal(h2.alpn, 'h2');
      const h1 = await h1Request(port, { ca: pems.cert, path: '/readyz', alpn: ['http/1.1'] });
      assert.equal(h1.status, 200);
      assert.equal(h1.alpn, 'http/1.1');

      // The redirect listener: same path and query, HTTPS port, a host that is this server's.
      const cases: [string, string, string | undefined, string][] = [
        ['GET', '/api/v1/movies?page=2&limit=5', `127.0.0.1:${redirectPort}`, `https://127.0.0.1:${port}/api/v1/movies?page=2&limit=5`],
        ['POST', '/api/v1/users/login', `localhost:${redirectPort}`, `https://localhost:${port}/api/v1/users/login`],
        ['GET', '/movies/3', `butaca.test:${redirectPort}`, `https://butaca.test:${port}/movies/3`],
        // Not this server's names: an open redirect otherwise, so the configured HOST instead.
        ['GET', '/x', 'evil.example', `https://127.0.0.1:${port}/x`],
        ['GET', '/x', `10.9.8.7:${redirectPort}`, `https://127.0.0.1:${port}/x`],
        ['GET', '/x', 'bad host!', `https://127.0.0.1:${port}/x`],
        // An absolute-form target names a host of its own: it is not followed either.
        ['GET', 'http://evil.example/steal', undefined, `https://127.0.0.1:${port}/`],
      ];
      for (const [method, target, host, location] of cases) {
        const res = await plainRequest(redirectPort, method, target, host);
        assert.equal(res.status, 308, `${method} ${target} Host ${host}`);
        assert.equal(res.headers.location, location, `${method} ${target} Host ${host}`);
        assert.equal(res.headers['strict-transport-security'], undefined, 'HSTS over plain HTTP');
      }
      // What the redirect points at answers.
      const followed = await h1Request(port, { ca: pems.cert, path: '/api/v1/movies?page=2&limit=5' });
      assert.equal(followed.status, 200, followed.body);

      // Shutdown with an idle HTTP/2 session and an idle HTTP/1.1 keep-alive connection still open:
      // neither may hold the process up (Node 20 would wait for the HTTP/2 one: src/tls/shutdown.ts).
      const idle = http2.connect(`https://127.0.0.1:${port}`, { ca: pems.cert });
      idle.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        idle.once('connect', () => resolve());
        idle.once('error', reject);
      });
      const agent = new Agent({ keepAlive: true, ca: pems.cert });
      await new Promise<void>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
      assert.equal(Object.values(agent.freeSockets).flat().length, 1, 'no idle keep-alive connection');
      // And a request in flight over HTTP/2 (its body half sent) when SIGTERM arrives: it is finished.
      const busy = http2.connect(`https://127.0.0.1:${port}`, { ca: pems.cert });
      busy.on('error', () => {});
      const stream = busy.request({ ':method': 'POST', ':path': '/api/v1/users', 'content-type': 'application/json' });
      const answer = new Promise<number>((resolve, reject) => {
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
      });
      stream.resume();
      const body = json({ username: 'late', password: PASSWORD });
      stream.write(body.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 300));

      const started = Date.now();
      const stopping = server.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      stream.end(body.slice(10));
      assert.equal(await answer, 201, 'the request in flight was not finished');
      busy.close();
      const { code, signal } = await stopping;
      assert.equal(signal, null);
      assert.equal(code, 0, server.stderr());
      assert.ok(Date.now() - started < 8000, `shutdown took ${Date.now() - started} ms`);
      idle.destroy();
      agent.destroy();
      await assert.rejects(h2Request(port, { ca: pems.cert, path: '/healthz' }));
      await assert.rejects(plainRequest(redirectPort, 'GET', '/'));
    } finally {
      if (server.child.exitCode === null) await server.stop();
    }
  });

  it('stops with one line naming the variable when the TLS settings are wrong', async () => {
    const dir = tempDir();
    const pems = await generate([{ name: 'commonName', value: 'a' }], { keyType: 'ec', algorithm: 'sha256' });
    const other = await generate([{ name: 'commonName', value: 'b' }], { keyType: 'ec', algorithm: 'sha256' });
    const file = (name: string, text: string): string => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const cert = file('cert.pem', pems.cert);
    const key = file('key.pem', pems.private);
    const otherKey = file('other-key.pem', other.private);
    const garbage = file('garbage.pem', 'not a certificate\n');

    // Through the real process: one line on stderr, no stack trace, no start.
    for (const [vars, variable] of [
      [{ TLS_CERT: cert }, 'TLS_KEY'],
      [{ TLS_KEY: key }, 'TLS_CERT'],
      [{ TLS_CERT: path.join(dir, 'missing.pem'), TLS_KEY: key }, 'TLS_CERT'],
    ] as const) {
      const res = await runCli(['serve'], { DATA_DIR: path.join(dir, 'data'), PORT: '0', ...vars });
      assert.equal(res.code, 1, JSON.stringify(vars));
      assert.match(assertOneLine(res.stderr), new RegExp(`^butaca: ${variable}: `));
      assert.doesNotMatch(res.stdout, /running/);
    }

    // A redirect port already taken: the HTTPS listener is closed again and the line names the variable.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const taken = String((blocker.address() as AddressInfo).port);
      const res = await runCli(['serve'], { DATA_DIR: path.join(dir, 'data'), PORT: '0', HOST: '127.0.0.1', HTTPS: 'self-signed', HTTP_REDIRECT_PORT: taken });
      assert.equal(res.code, 1);
      assert.match(assertOneLine(res.stderr), new RegExp(`^butaca: HTTP_REDIRECT_PORT: cannot listen on 127\\.0\\.0\\.1:${taken} \\(EADDRINUSE\\)`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    // The rest in-process, through the same functions serve uses.
    const problem = async (env: Record<string, string>): Promise<ConfigError> => {
      try {
        await loadTls(loadConfig({ DATA_DIR: path.join(dir, 'data'), ...env }).tls);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err;
      }
      assert.fail(`no error for ${JSON.stringify(env)}`);
    };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ TLS_CERT: garbage, TLS_KEY: key }, 'TLS_CERT', /PEM certificate/],
      [{ TLS_CERT: cert, TLS_KEY: garbage }, 'TLS_KEY', /private key/],
      [{ TLS_CERT: cert, TLS_KEY: otherKey }, 'TLS_KEY', /not the key of the certificate/],
      [{ TLS_CERT: cert, TLS_KEY: dir }, 'TLS_KEY', /is a directory/],
      [{ TLS_CERT: cert, TLS_KEY: key, HTTPS: 'self-signed' }, 'HTTPS', /conflicts/],
      [{ HTTPS: 'on' }, 'HTTPS', /off or self-signed/],
      [{ HTTP_REDIRECT_PORT: '8080' }, 'HTTP_REDIRECT_PORT', /HTTPS/],
      [{ HTTPS: 'self-signed', HTTP_REDIRECT_PORT: '80x' }, 'HTTP_REDIRECT_PORT', /number/],
      [{ HTTPS: 'self-signed', PORT: '8443', HTTP_REDIRECT_PORT: '8443' }, 'HTTP_REDIRECT_PORT', /differ from PORT/],
    ];
    for (const [env, variable, message] of cases) {
      const err = await problem(env);
      assert.equal(err.variable, variable, JSON.stringify(env));
      assert.match(err.message, message, JSON.stringify(env));
      assert.ok(!err.message.includes('\n'), 'more than one line');
    }
    // HTTPS=off is the default spelled out, and TLS files alone are enough.
    assert.deepEqual(loadConfig({ DATA_DIR: dir, HTTPS: 'off' }).tls, { kind: 'off' });
    assert.equal(loadConfig({ DATA_DIR: dir, HTTPS: 'off', TLS_CERT: cert, TLS_KEY: key }).tls.kind, 'files');
  });

  it('over plain HTTP: no HSTS, and the session cookie is the plain one', async () => {
    const ctx = await startApp();
    try {
      const port = await listenOnLoopback(ctx);
      const health = await wireFetch(port, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.headers['strict-transport-security'], undefined);
      await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'carla', password: PASSWORD } });
      const login = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { username: 'carla', password: PASSWORD } });
      const cookie = sessionCookieOf(login.headers);
      assert.equal(cookie.name, 'butaca_session');
      assert.ok(!cookie.attributes.some((a) => a.toLowerCase() === 'secure'));
    } finally {
      await ctx.close();
    }
  });

  it('buildApp with the TLS server options, in-process: HTTP/2 and HTTP/1.1 on one port, HSTS on every answer', async () => {
    const dir = tempDir();
    const tls = (await loadTls(loadConfig({ DATA_DIR: dir, HTTPS: 'self-signed' }).tls))!;
    const ctx = await startApp({ HTTPS: 'self-signed' }, { server: tlsServerOptions(tls) });
    const app = ctx.app;
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      for (const send of [h1Request, h2Request]) {
        for (const url of ['/healthz', '/', '/api/v1/movies/999']) {
          const res = await send(port, { ca: tls.cert, path: url });
          assert.equal(res.headers['strict-transport-security'], HSTS, `${send.name} ${url}`);
        }
      }
      // inject does not go through TLS, but the header comes from a hook, so it is there too.
      assert.equal((await app.inject('/healthz')).headers['strict-transport-security'], HSTS);
    } finally {
      await ctx.close();
    }
  });

  it('the redirect listener with a wildcard HOST sends clients to the address they reached', async () => {
    const server = createRedirectServer({ httpsPort: 443, host: '0.0.0.0', certNames: ['localhost'] });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const forged = await plainRequest(port, 'GET', '/a?b=c', 'evil.example');
      assert.equal(forged.status, 308);
      assert.equal(forged.headers.location, 'https://127.0.0.1/a?b=c', 'port 443 is left out');
      const named = await plainRequest(port, 'HEAD', '/', `localhost:${port}`);
      assert.equal(named.headers.location, 'https://localhost/');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

function existsDevCert(dataDir: string): boolean {
  try {
    statSync(path.join(dataDir, 'tls', 'dev-cert.pem'));
    return true;
  } catch {
    return false;
  }
}

describe('TLS protocol versions and cipher suites', { concurrency: 2 }, () => {
  // TLS 1.2 suites the server must refuse, each with the certificate kind it could otherwise be
  // agreed with (an RSA suite cannot be chosen with an EC key whatever the configuration).
  const refused: ['rsa' | 'ec', string][] = [
    ['ec', 'ECDHE-ECDSA-AES128-SHA'], // CBC with SHA-1 (LUCKY13)
    ['ec', 'ECDHE-ECDSA-AES256-SHA384'], // CBC with SHA-384
    ['ec', 'ECDHE-ECDSA-AES128-CCM8'],
    ['ec', 'ECDHE-ECDSA-AES128-CCM'],
    ['ec', 'ECDHE-ECDSA-ARIA128-GCM-SHA256'],
    ['ec', 'ECDHE-ECDSA-CAMELLIA128-SHA256'],
    ['rsa', 'ECDHE-RSA-AES128-SHA'],
    ['rsa', 'ECDHE-RSA-AES128-SHA256'],
    ['rsa', 'AES128-SHA256'], // static RSA key exchange: no forward secrecy
    ['rsa', 'AES128-GCM-SHA256'],
    ['rsa', 'DHE-RSA-AES128-GCM-SHA256'],
    ['rsa', 'ECDHE-ARIA128-GCM-SHA256'],
  ];
  const accepted: ['rsa' | 'ec', string, string][] = [
    ['ec', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
    ['ec', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    ['ec', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
    ['rsa', 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
    ['rsa', 'ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
    ['rsa', 'ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  ];

  for (const keyType of ['ec', 'rsa'] as const) {
    it(`with an ${keyType.toUpperCase()} certificate: TLS 1.2 only with ECDHE and AES-GCM or ChaCha20-Poly1305; TLS 1.3 as is`, async () => {
      const served = await startTlsApp({}, { keyType });
      try {
        for (const [kind, suite] of refused.filter(([kind]) => kind === keyType)) {
          const got = await tlsHandshake(served.port, { ciphers: suite });
          assert.equal(got.cipher, undefined, `${kind} certificate: ${suite} was agreed (${got.cipher} over ${got.version})`);
        }
        for (const [, suite, standard] of accepted.filter(([kind]) => kind === keyType)) {
          const got = await tlsHandshake(served.port, { ciphers: suite });
          assert.deepEqual(got, { cipher: standard, version: 'TLSv1.2' }, suite);
        }
        // A client offering everything it has gets the server's first choice for its key.
        const best = await tlsHandshake(served.port, { ciphers: 'ALL' });
        assert.equal(best.cipher, keyType === 'ec' ? 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' : 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
        for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
          assert.deepEqual(await tlsHandshake(served.port, { tls13: suite }), { cipher: suite, version: 'TLSv1.3' }, suite);
        }
        // Older protocols are refused outright (Node's floor, made explicit).
        const old = await tlsHandshake(served.port, { ciphers: 'ALL:@SECLEVEL=0', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
        assert.equal(old.cipher, undefined, `agreed ${old.cipher} over ${old.version}`);
        // And HTTP still works over what is left, on both protocols.
        assert.equal((await h2Request(served.port, { ca: served.ca, path: '/healthz' })).status, 200);
        assert.equal((await h1Request(served.port, { ca: served.ca, path: '/healthz' })).status, 200);
      } finally {
        await served.close();
      }
    });
  }
});
