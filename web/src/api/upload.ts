import type { Media } from './client';
import { NetworkError, apiErrorOf } from './errors';
import type { paths } from './schema';

export type MediaKind = 'poster' | 'trailer';

// Typed against the API's paths, so a renamed upload route fails the type check here too.
const UPLOAD_PATH = {
  poster: '/api/v1/movies/{id}/poster',
  trailer: '/api/v1/movies/{id}/trailer',
} as const satisfies Record<MediaKind, keyof paths>;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * PUT a poster or trailer as multipart (field `file`), creating or replacing it. This is the one
 * request made with XMLHttpRequest rather than fetch, because only XHR reports upload progress.
 * `onProgress` gets the fraction sent (0–1); aborting `signal` cancels the upload.
 */
export function uploadMedia(movieId: number, kind: MediaKind, file: File, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<Media> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', UPLOAD_PATH[kind].replace('{id}', String(movieId)));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const body = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Media);
      else reject(apiErrorOf(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(new NetworkError()));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
}
