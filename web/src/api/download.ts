import { NetworkError, apiErrorOf } from './errors';
import type { paths } from './schema';

const EXPORT_PATH = '/api/v1/users/me/export' satisfies keyof paths;

/**
 * Downloads the member's export and hands it to the browser as a file. Fetched rather than
 * linked, so a refusal (one export a minute) is shown on the page instead of replacing it.
 */
export async function downloadExport(): Promise<void> {
  let res: Response;
  try {
    res = await fetch(EXPORT_PATH, { credentials: 'same-origin', headers: { accept: 'application/zip, application/json' } });
  } catch {
    throw new NetworkError();
  }
  if (!res.ok) throw apiErrorOf(res.status, await res.json().catch(() => undefined));
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'butaca-export.zip';
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the file once the click is handled; the URL is let go of a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
