import { randomUUID } from 'node:crypto';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body sent as is (for malformed JSON and the like). */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** A thin HTTP client for the hub's public API. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  async login(username: string, password = 'password123'): Promise<Session> {
    const response = await this.request('POST', '/auth/token', { body: { username, password } });
    if (response.status !== 200) throw new Error(`login ${username} failed: ${response.status} ${JSON.stringify(response.body)}`);
    return new Session(this, response.body.access_token, response.body.user_id, username);
  }
}

/** A signed-in user: calls carry its token. */
export class Session {
  readonly client: ApiClient;
  readonly token: string;
  readonly userId: string;
  readonly username: string;

  constructor(client: ApiClient, token: string, userId: string, username: string) {
    this.client = client;
    this.token = token;
    this.userId = userId;
    this.username = username;
  }

  get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.client.request<T>('GET', path, { token: this.token });
  }

  post<T = any>(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.client.request<T>('POST', path, { token: this.token, body, ...(headers ? { headers } : {}) });
  }

  async createConversation(type: 'private' | 'group', members: string[], metadata?: object): Promise<string> {
    const response = await this.post('/v1/conversations', { type, members, ...(metadata ? { metadata } : {}) });
    // 200: the private conversation of this pair, which already existed (get-or-create)
    if (response.status !== 201 && response.status !== 200) throw new Error(`create conversation: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.conversation_id;
  }

  /** A valid text message body from this user; override any field. */
  textMessage(conversationId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      message_id: randomUUID(),
      conversation_id: conversationId,
      from: this.userId,
      channels: ['whatsapp'],
      payload: { type: 'text', text: 'hello' },
      ...overrides,
    };
  }
}

/** Polls `probe` until it returns a truthy value; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value) return value;
    last = value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
