/**
 * autocannon in its own process (so it can be pinned to its own core), for machines without wrk.
 * Takes {spec, opts} as JSON in argv[2]; prints `BENCHJSON {…}` with the LoadResult fields.
 */
import autocannon from 'autocannon';
import type { LoadOptions, LoadSpec } from './load.js';

const { spec, opts } = JSON.parse(process.argv[2]!) as { spec: LoadSpec; opts: LoadOptions };
let c = spec.vary?.kind === 'post-review' ? spec.vary.first : 0;

function body(): string | undefined {
  const vary = spec.vary;
  if (vary?.kind === 'put-score') return JSON.stringify({ review: vary.review, score: (c % 5) + 1 });
  if (vary?.kind === 'post-review') {
    return JSON.stringify({ movie_id: (Math.floor(c / vary.tokens.length) % vary.movies) + 1, review: 'Seen it twice, liked it more the second time.', score: 4 });
  }
  return spec.body;
}

const result = await autocannon({
  url: opts.base,
  connections: spec.connections ?? opts.connections,
  duration: opts.seconds,
  timeout: 5,
  requests: [
    {
      method: spec.method,
      path: spec.path,
      setupRequest: (request) => {
        const vary = spec.vary;
        if (vary?.kind === 'sequence') {
          const next = vary.requests[c % vary.requests.length]!;
          c += 1;
          return { ...request, method: next.method, path: next.path, headers: { ...spec.headers, ...next.headers }, ...(next.body === undefined ? {} : { body: next.body }) };
        }
        const headers = { ...spec.headers };
        if (vary?.kind === 'post-review') headers.authorization = `Bearer ${vary.tokens[c % vary.tokens.length]!}`;
        const text = body();
        const target = vary?.kind === 'paths' ? vary.paths[c % vary.paths.length]! : request.path;
        c += 1;
        return { ...request, path: target, headers, ...(text === undefined ? {} : { body: text }) };
      },
    },
  ],
});

const seconds = result.duration;
process.stdout.write(
  `BENCHJSON ${JSON.stringify({
    requests: result.requests.total,
    perSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx - (result['3xx'] ?? 0),
  })}\n`,
);
