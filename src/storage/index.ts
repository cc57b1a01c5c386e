import type { MediaStoreConfig } from '../config.js';
import { FileStore } from './file-store.js';
import type { MediaStore } from './store.js';

export function createStore(config: MediaStoreConfig): MediaStore {
  return new FileStore(config.root);
}
