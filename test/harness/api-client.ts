import { waitFor } from './app-process';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/** A small HTTP client for e2e suites: JSON in, JSON out, status kept. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  withToken(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Polls GET /tasks/:id until the task is finished; the timeout error carries its last state. */
  async waitForTask(taskId: string, timeoutMs = 120_000): Promise<any> {
    let task: any;
    await waitFor(
      async () => {
        task = (await this.get(`/tasks/${taskId}`)).body;
        return FINISHED.includes(task?.status);
      },
      timeoutMs,
      `task ${taskId} to finish`,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last state ${JSON.stringify(task)})`);
    });
    return task;
  }

  /** Creates a patch and approves it (REQUIRE_SEPARATE_APPROVER is false in the harness); its id. */
  async approvedPatch(definition: object): Promise<string> {
    const created = await this.post<{ id: string }>('/patches', definition);
    if (created.status !== 201) throw new Error(`patch refused: ${created.status} ${JSON.stringify(created.body)}`);
    const approved = await this.post(`/patches/${created.body.id}/approve`);
    if (approved.status !== 200)
      throw new Error(`patch ${created.body.id} not approved: ${approved.status} ${JSON.stringify(approved.body)}`);
    return created.body.id;
  }

  /** POST /deployments, which must be accepted (202). */
  async deploy(body: object, headers: Record<string, string> = {}): Promise<{ deploymentId: string; taskId: string; statusUrl: string }> {
    const response = await this.post('/deployments', body, headers);
    if (response.status !== 202) throw new Error(`deploy refused: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { deploymentId: string; taskId: string; statusUrl: string };
  }

  async login(username: string, password: string): Promise<ApiClient> {
    const response = await this.post<{ accessToken: string }>('/auth/login', { username, password });
    if (response.status !== 200) throw new Error(`login as ${username} failed: ${response.status} ${JSON.stringify(response.body)}`);
    return this.withToken(response.body.accessToken);
  }
}

export const TEST_ADMIN = { username: 'admin', password: 'Sturdy-Root-Pass-2026' };
