/** One entry of FastAPI's 422 list: `loc` is ["body", "title"], ["query", "page"], … */
export interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The API answered with an error status; `detail` is its `{"detail": …}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | Issue[] | undefined,
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** The request never got an answer: offline, server down, connection cut. */
export class NetworkError extends Error {
  constructor() {
    super('Network error');
    this.name = 'NetworkError';
  }
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';
