import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FileUploads } from '../../app/file-uploads.ts';
import type { PublicUrl } from '../public-urls.ts';
import { signedChunkSchema } from '../schemas/file-schemas.ts';
import { rawChunk, streamRawBodies, uploadedJson } from './file-routes.ts';

/**
 * PUT to the hub's own presigned chunk URLs: no bearer token, the signature is the authorization. Every body is
 * the raw chunk whatever its content type (as with S3), so this scope parses none of them.
 */
export const signedUploadRoutes: FastifyPluginAsyncTypebox<{ fileUploads: FileUploads; publicUrl: PublicUrl }> = async (app, { fileUploads, publicUrl }) => {
  app.removeAllContentTypeParsers();
  streamRawBodies(app, '*');

  app.put('/uploads/:file_id/chunks/:chunk_id', { schema: signedChunkSchema }, async (request) => {
    const { file_id: fileId, chunk_id: chunkId } = request.params;
    const next = await fileUploads.uploadSignedChunk({ fileId, chunkId, ...request.query }, rawChunk(request));
    return uploadedJson(next && publicUrl(request, next.url), fileId, chunkId);
  });
};
