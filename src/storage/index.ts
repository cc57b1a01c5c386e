import type { MediaStoreConfig } from '../config.js';
import { FileStore } from './file-store.js';
import type { MediaStore } from './store.js';

/**
 * The configured store. The S3 one is imported only when configured: the AWS SDK is a third of
 * the start-up time of a server that stores media as files.
 */
export async function createStore(config: MediaStoreConfig): Promise<MediaStore> {
  if (config.kind === 's3') {
    const { S3Store, s3ClientFor } = await import('./s3-store.js');
    return new S3Store(s3ClientFor(config), config);
  }
  return new FileStore(config.root);
}
