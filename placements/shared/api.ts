/** JSON calls to our own API with the page's session; errors come back as ApiError with our code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
  /** multipart/form-data upload (PDF files). */
  upload<T>(path: string, form: FormData): Promise<T>;
  /** Binary or HTML responses (PDF preview, sealed PDF, list fragment). */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

export function createApi(token: string): Api {
  const raw = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    const res = await fetch(path, { ...init, headers, credentials: 'omit' });
    if (!res.ok) throw await toError(res);
    return res;
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await raw(path, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  };
  return {
    get: (p) => json('GET', p),
    post: (p, b) => json('POST', p, b ?? {}),
    put: (p, b) => json('PUT', p, b ?? {}),
    del: (p) => json('DELETE', p),
    upload: async (p, form) => (await (await raw(p, { method: 'POST', body: form, headers: { Accept: 'application/json' } })).json()) as never,
    raw,
  };
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    return new ApiError(res.status, body.error?.code ?? 'HTTP_' + res.status, body.error?.message ?? res.statusText, body.error?.details);
  } catch {
    return new ApiError(res.status, 'HTTP_' + res.status, res.statusText || `HTTP ${res.status}`);
  }
}
