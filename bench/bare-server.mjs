// The physical limit of the benchmark: a bare node:http server answering, from memory, exactly the
// bytes (status, headers, body) that Butaca answered for the same request. Plain JavaScript so that
// nothing but node:http runs. Usage: node bench/bare-server.mjs <answers.json>; prints its port.
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const answers = new Map(
  Object.entries(JSON.parse(readFileSync(process.argv[2], 'utf8'))).map(([url, a]) => [
    url,
    { status: a.status, headers: a.headers, body: Buffer.from(a.body, 'base64') },
  ]),
);

const server = createServer((req, res) => {
  const answer = answers.get(req.url);
  if (!answer) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
