import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Http2ServerRequest, constants as http2Constants } from 'node:http2';
import type { Socket } from 'node:net';

/*
 * Lingering close, as nginx calls it. A server that answers before it has read the whole request
 * (a body over the limit, a refused upload, a 401 before the body) and then closes the connection
 * leaves the rest of the body unread in the kernel, and closing a socket with unread data makes
 * the kernel send RST instead of FIN. A client that writes its whole request before reading —
 * Python `requests`, most SDKs — then gets "connection reset" and never reads the answer that was
 * already sent (a third of tries with 0.1–5 MB bodies). So after such an answer the connection
 * goes on reading, and throwing away, what the client still sends, until its request ends, and
 * only then closes. Bounded, so that a client cannot keep a connection busy this way.
 */

/** Most bytes of a refused body read and thrown away before closing anyway. */
export const LINGER_MAX_BYTES = 64 * 1024 * 1024;
/** How long the client may send nothing at all, while its refused body is being thrown away. */
export const LINGER_IDLE_MS = 5_000;
/** How long, at most, a refused body is read after its answer. */
export const LINGER_TOTAL_MS = 30_000;
/**
 * How often lingering connections are looked at: their bytes are counted by Node's parser out of
 * sight, so the size bound holds to what arrives in this time (a few MB on a fast network).
 */
const LINGER_CHECK_MS = 50;

interface Linger {
  socket: Socket;
  startBytes: number;
  lastBytes: number;
  lastAt: number;
  startedAt: number;
  stop: (graceful: boolean) => void;
}

/** The connections lingering now, all checked by one timer (many of them cost one wake-up, not many). */
const lingering = new Set<Linger>();
let ticker: NodeJS.Timeout | undefined;

function checkLingering(): void {
  const now = Date.now();
  for (const linger of lingering) {
    const read = linger.socket.bytesRead;
    if (read !== linger.lastBytes) {
      linger.lastBytes = read;
      linger.lastAt = now;
    }
    if (read - linger.startBytes > LINGER_MAX_BYTES || now - linger.lastAt >= LINGER_IDLE_MS || now - linger.startedAt >= LINGER_TOTAL_MS) {
      linger.stop(false);
    }
  }
}

/**
 * Half-closes `socket` now (its answer is written, a FIN follows it) and destroys it once the
 * client has sent what it meant to — when `done` resolves, or the client closes its side — or
 * at the first bound: LINGER_MAX_BYTES more read, LINGER_IDLE_MS without a byte, LINGER_TOTAL_MS
 * in all. Never before the answer has left (destroying drops what is still queued).
 */
export function lingerThenClose(socket: Socket, done?: Promise<void>): void {
  if (socket.destroyed) return;
  const now = Date.now();
  const linger: Linger = { socket, startBytes: socket.bytesRead, lastBytes: socket.bytesRead, lastAt: now, startedAt: now, stop: () => {} };
  let over = false;
  const onEnd = (): void => linger.stop(true);
  linger.stop = (graceful) => {
    if (over) return;
    over = true;
    lingering.delete(linger);
    if (lingering.size === 0) {
      clearInterval(ticker);
      ticker = undefined;
    }
    socket.off('end', onEnd);
    if (graceful) closeWhenFlushed(socket);
    else socket.destroy();
  };
  lingering.add(linger);
  // Not unref'd: it runs only while some connection lingers, and closing the server waits for those.
  ticker ??= setInterval(checkLingering, LINGER_CHECK_MS);
  socket.once('close', () => linger.stop(false));
  socket.once('end', onEnd);
  // Node reads on after end(): the server's sockets are half-open, so the client may go on sending.
  if (socket.writable) socket.end();
  void done?.then(() => linger.stop(true));
}

/** Resolves once `req` has been received to its end (or has failed, or closed: there is nothing more to wait for). */
function whenReceived(req: IncomingMessage | Http2ServerRequest): Promise<void> {
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('error', resolve);
    req.once('close', resolve);
  });
}

/** Bytes of the request's body still to come, when it declared its length; undefined for chunked bodies. */
function declaredRemaining(req: IncomingMessage, receivedSinceHead: number): number | undefined {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) ? declared - receivedSinceHead : undefined;
}

type Lingering = Socket & { destroySoon(): void };

/** An HTTP/1.1 connection's current request, with its answer. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** socket.bytesRead when the request's head had been parsed. */
  bytesAtHead: number;
}

/**
 * Ends `socket` once what it has queued is written, as Node's own destroySoon() does, but waits
 * for that LINGER_IDLE_MS at most: a socket whose connection has gone under it (a TLS socket after
 * its TCP reset) never finishes writing, and would never be closed, holding up the server's close.
 */
export function closeWhenFlushed(socket: Socket): void {
  if (socket.writable) socket.end();
  if (socket.writableFinished || socket.destroyed) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), LINGER_IDLE_MS);
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Gives every HTTP/1.1 connection of a server (plain, or the TLS fallback of an HTTP/2 server)
 * and every HTTP/2 stream a lingering close (see above), and knows each HTTP/1.1 connection's
 * current request (for http/client-errors.ts). Made before the server, attached once it exists.
 *
 * HTTP/1.1: when Node ends a connection after an answer (`Connection: close`, which Fastify sets
 * on body-parser errors and the uploads set on refusals), it calls the socket's destroySoon(),
 * which destroys it as soon as the answer is flushed. That one method of each socket is replaced
 * with one that lingers while the socket's current request is unfinished; everything else stays
 * Node's (the parser keeps reading the body and throws it away, since nobody reads it any more).
 * A body whose declared rest is over LINGER_MAX_BYTES is not waited for.
 *
 * HTTP/2: a stream answered before its body arrived is reset at once by Node (RST_STREAM, when
 * nothing read the body) or left to the flow-control window. Instead the body is read on and thrown
 * away until the client ends it, within the same bounds; past them the stream is closed with
 * NO_ERROR, which RFC 9113 §8.1 gives for "stop sending, the answer is complete".
 */
export class Connections {
  private readonly current = new WeakMap<Socket, Exchange>();

  /** The request the HTTP/1.1 connection is on, or last was on; undefined before its first. */
  exchangeOf(socket: Socket): Exchange | undefined {
    return this.current.get(socket);
  }

  attach(server: EventEmitter): void {
    server.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse) => {
      if (req.httpVersionMajor >= 2) {
        lingerOnStream(req as Http2ServerRequest);
        return;
      }
      const socket = (req as IncomingMessage).socket;
      this.current.set(socket, { req: req as IncomingMessage, res, bytesAtHead: socket.bytesRead });
    });
    const patch = (socket: Socket): void => {
      const lingering = socket as Lingering;
      const destroySoon = lingering.destroySoon;
      const current = this.current;
      lingering.destroySoon = function lingeringDestroySoon(this: Lingering): void {
        const at = current.get(this);
        if (!at || at.req.complete) return destroySoon.call(this);
        const remaining = declaredRemaining(at.req, this.bytesRead - at.bytesAtHead);
        if (remaining !== undefined && remaining > LINGER_MAX_BYTES) return destroySoon.call(this);
        try {
          // Nobody reads the body any more; make sure it flows (a consumer may have paused it).
          at.req.resume();
          lingerThenClose(this, whenReceived(at.req));
        } catch {
          // Called from inside Node's HTTP server: never throw there, close as Node would have.
          destroySoon.call(this);
        }
      };
    };
    server.on('connection', patch);
    // The HTTP/1.1 fallback of an HTTP/2 server parses the TLS socket, not the TCP one under it.
    server.on('secureConnection', (socket: Socket & { alpnProtocol?: string | false }) => {
      if (socket.alpnProtocol !== 'h2') patch(socket);
    });
  }
}

function lingerOnStream(req: Http2ServerRequest): void {
  const stream = req.stream;
  // Before Node's own check, which runs on the same event and resets a stream whose body
  // nobody read; reading it here makes Node leave the stream to end on its own.
  stream.once('finish', () => {
    if (stream.destroyed || stream.readableEnded || req.complete) return;
    // A body refused unread whose declared length is past the bound would be cut anyway: Node
    // resets the stream (NO_ERROR) at once.
    const declared = Number(req.headers['content-length']);
    if (!req.readableDidRead && Number.isFinite(declared) && declared > LINGER_MAX_BYTES) return;
    let discarded = 0;
    let over = false;
    const stop = (): void => {
      if (over) return;
      over = true;
      clearTimeout(total);
      if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_NO_ERROR);
    };
    const total = setTimeout(stop, LINGER_TOTAL_MS);
    stream.setTimeout(LINGER_IDLE_MS, stop);
    stream.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_MAX_BYTES) stop();
    });
    stream.once('close', () => {
      over = true;
      clearTimeout(total);
    });
    req.resume();
  });
}
