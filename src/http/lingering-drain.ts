import type { FastifyReply, FastifyRequest } from 'fastify';

/** A refused body up to this size is read and dropped; a larger one still ends the connection. */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Fastify ends the connection after refusing a body it did not read (e.g. over the 1 MiB limit), and a client
 * still sending that body then meets a reset that can swallow the answer: fetch reports EPIPE instead of the
 * 413. When nothing of the body was read and it declares at most DRAIN_LIMIT_BYTES, the connection is kept:
 * Node reads the body and drops it once the answer is sent, as nginx's lingering close does.
 */
export function drainRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  if (reply.getHeader('connection') !== 'close' || request.raw.readableDidRead) return;
  const declared = Number(request.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared <= DRAIN_LIMIT_BYTES && !request.headers['transfer-encoding']) {
    reply.removeHeader('connection');
  }
}
