import type { Avatar, ImportSummary, Media } from './client';
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

const AVATAR_PATH = '/api/v1/users/me/avatar' satisfies keyof paths;

/**
 * PUT a poster or trailer as multipart (field `file`), creating or replacing it. Uploads are the
 * requests made with XMLHttpRequest rather than fetch, because only XHR reports upload progress.
 * `onProgress` gets the fraction sent (0–1); aborting `signal` cancels the upload.
 */
export function uploadMedia(movieId: number, kind: MediaKind, file: File, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<Media> {
  return put<Media>(UPLOAD_PATH[kind].replace('{id}', String(movieId)), file, onProgress, signal);
}

/** PUT the member's avatar, as uploadMedia does a poster. */
export function uploadAvatar(file: File, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<Avatar> {
  return put<Avatar>(AVATAR_PATH, file, onProgress, signal);
}

const IMPORT_PATH = '/api/v1/users/me/import/letterboxd' satisfies keyof paths;

/** POST a Letterboxd export (its ZIP, or one CSV named as Letterboxd names it) to be imported into the member's account. */
export function uploadImport(file: File, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<ImportSummary> {
  return put<ImportSummary>(IMPORT_PATH, file, onProgress, signal, 'POST');
}

function put<T>(url: string, file: File, onProgress: (fraction: number) => void, signal: AbortSignal, method: 'PUT' | 'POST' = 'PUT'): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const body = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
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
