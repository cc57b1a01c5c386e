import type { IncomingMessage } from 'node:http';
import { createWriteStream } from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { uploadsInProgress } from '../metrics/registry.js';
import { invalidField } from '../domain/issues.js';
import { type InspectOptions, type Inspection, type UploadInspector, inspectInto } from '../media/inspect.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a file upload of one of these types, as multipart or the raw body (the docs show it as binary). */
    upload?: readonly string[];
  }
}

/**
 * Ends an HTTP/1.1 connection after the answer instead of reading a refused body to its end.
 * HTTP/2 has no such header (Node warns and drops it); there the stream is reset on its own.
 */
export function closeAfterReply(request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
}

/** Refuses a declared size over the limit before a byte of the body is read. */
export function checkDeclaredLength(request: FastifyRequest, reply: FastifyReply, maxBytes: number): void {
  const declared = Number(request.headers['content-length']);
  // Multipart adds boundaries and part headers around the file; a few KiB covers them.
  const allowance = request.isMultipart() ? 16 * 1024 : 0;
  if (Number.isFinite(declared) && declared > maxBytes + allowance) {
    closeAfterReply(request, reply); // rather than read a body we have already refused
    throw new DomainError('file_too_large', { limit: maxBytes });
  }
}

/** The file's bytes: the `file` part of a multipart form, or the raw body. */
export async function uploadSource(request: FastifyRequest, maxBytes: number): Promise<Readable> {
  return (await uploadPart(request, maxBytes)).source;
}

/** The file's bytes and, from a multipart form, the name its sender gave it. */
export async function uploadPart(request: FastifyRequest, maxBytes: number): Promise<{ source: Readable; filename?: string }> {
  if (!request.isMultipart()) {
    // A request with neither a body nor a Content-Type reaches no parser: it is an empty file, not a stream.
    if (request.body === undefined || request.body === null) throw invalidField(['body', 'file'], 'file_empty');
    return { source: request.body as Readable };
  }
  let part: MultipartFile | undefined;
  try {
    part = await request.file({ limits: { fileSize: maxBytes + 1, files: 1, fields: 20, parts: 40 } });
  } catch {
    throw new DomainError('multipart_malformed');
  }
  if (!part || part.fieldname !== 'file') throw invalidField(['body', 'file'], 'missing');
  return { source: part.file, ...(part.filename ? { filename: part.filename } : {}) };
}

/**
 * Writes an upload of any type to `file`, at most `maxBytes` (a 413 past them, the connection
 * closed rather than the rest read), for a reader that needs the whole file at hand (a ZIP's
 * directory is at its end). A client that goes away mid-way is a 400.
 */
export async function saveUpload(request: FastifyRequest, reply: FastifyReply, source: Readable, maxBytes: number, file: string): Promise<void> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        closeAfterReply(request, reply);
        done(new DomainError('file_too_large', { limit: maxBytes }));
      } else done(null, chunk);
    },
  });
  const raw: IncomingMessage = request.raw;
  const aborted = (): void => {
    if (!raw.complete) limit.destroy(new DomainError('upload_interrupted'));
  };
  raw.once('close', aborted);
  uploadsInProgress.inc();
  try {
    await pipeline(source, limit, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      closeAfterReply(request, reply);
      throw new DomainError('file_too_large', { limit: maxBytes });
    }
    if ((err as { syscall?: string }).syscall !== undefined) throw err; // the disk's, not the client's
    throw new DomainError(request.isMultipart() ? 'multipart_malformed' : 'upload_interrupted');
  } finally {
    uploadsInProgress.dec();
    raw.removeListener('close', aborted);
  }
}

/**
 * Runs the upload through the inspector into `sink` (which streams it to storage), and fails
 * with the inspector's HTTP error, or with a 400 when the client went away mid-way. The request
 * itself is never destroyed here, so the error response can still be sent.
 */
export async function receive(
  request: FastifyRequest,
  reply: FastifyReply,
  source: Readable,
  options: InspectOptions,
  sink: (body: Readable) => Promise<unknown>,
): Promise<Inspection> {
  const raw: IncomingMessage = request.raw;
  uploadsInProgress.inc();
  try {
    return await receiveCounted(request, reply, source, options, sink, raw);
  } finally {
    uploadsInProgress.dec();
  }
}

async function receiveCounted(
  request: FastifyRequest,
  reply: FastifyReply,
  source: Readable,
  options: InspectOptions,
  sink: (body: Readable) => Promise<unknown>,
  raw: IncomingMessage,
): Promise<Inspection> {
  let inspecting: UploadInspector | undefined;
  // An error of the source stream is the client's doing (a multipart body cut before its closing
  // boundary, a malformed part, a dropped connection): a 400, not a 500 — and it can come before
  // anyone listens (busboy fails the part as soon as the body ends), leaving a destroyed stream
  // that would never feed the inspector, so the request would hang.
  let sourceError: unknown = source.errored ?? undefined;
  source.once('error', (err) => (sourceError ??= err));
  const clientFault = (): DomainError => new DomainError(request.isMultipart() ? 'multipart_malformed' : 'upload_interrupted');
  if (source.destroyed) {
    if ((sourceError as { code?: string } | undefined)?.code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new DomainError('file_too_large', { limit: options.maxBytes });
    }
    throw sourceError instanceof DomainError ? sourceError : clientFault();
  }
  // Belt and braces: a multipart part stream is not guaranteed to fail when the client goes away,
  // and an upload that neither ends nor fails would hold its staging file forever.
  const aborted = (): void => {
    if (!raw.complete) inspecting?.destroy(new DomainError('upload_interrupted'));
  };
  raw.once('close', aborted);
  try {
    return await inspectInto(
      source,
      options,
      (body) => {
        inspecting = body as UploadInspector;
        return sink(body);
      },
      () => {
        // The rest of the body is not worth reading; the connection closes after the error response.
        if (!raw.complete) closeAfterReply(request, reply);
      },
    );
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new DomainError('file_too_large', { limit: options.maxBytes });
    }
    if (sourceError !== undefined && err === sourceError && !(err instanceof DomainError)) throw clientFault();
    throw err;
  } finally {
    raw.removeListener('close', aborted);
  }
}
