// The physical limit of the benchmark: a bare node:http server answering, from memory, exactly the
// bytes (status, headers, body) that Butaca answered for the same request. Plain JavaScript so that
// nothing but node:http runs. Usage: node bench/bare-server.mjs <answers.json> [cert.pem key.pem];
// prints its port. With a certificate and key it is node:http2's secure server instead, with
// HTTP/1.1 for clients that do not offer h2, answering through the compatibility API (request and
// response objects), as Fastify's HTTP/2 does: the limit of bench/h2.ts.
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createSecureServer } from 'node:http2';

const answers = new Map(
  Object.entries(JSON.parse(readFileSync(process.argv[2], 'utf8'))).map(([url, a]) => [
    url,
    { status: a.status, headers: a.headers, body: Buffer.from(a.body, 'base64') },
  ]),
);

const handler = (req, res) => {
  const answer = answers.get(req.url);
  if (!answer) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
};
const tls = process.argv[3] !== undefined;
const server = tls
  ? createSecureServer({ cert: readFileSync(process.argv[3]), key: readFileSync(process.argv[4]), allowHTTP1: true }, handler)
  : createServer(handler);
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
