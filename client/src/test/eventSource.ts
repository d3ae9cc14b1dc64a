import { vi } from 'vitest';

/** A stand-in for the browser's EventSource that tests drive by hand. */
export class FakeEventSource {
  static instances: FakeEventSource[] = [];

  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;

  readonly url: string;
  closed = false;
  readyState = FakeEventSource.OPEN;
  private listeners = new Map<string, Set<(event: MessageEvent) => void>>();

  constructor(url: string | URL) {
    this.url = String(url);
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
  }

  removeEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }

  /** Delivers `event: <type>` with `data: <JSON of data>`. */
  emit(type: string, data: unknown): void {
    const event = new MessageEvent(type, { data: JSON.stringify(data) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  /** A dropped connection: by default the browser gives up (CLOSED); `reconnecting` keeps it trying. */
  fail(reconnecting = false): void {
    this.readyState = reconnecting ? FakeEventSource.CONNECTING : FakeEventSource.CLOSED;
    for (const listener of this.listeners.get('error') ?? []) listener(new MessageEvent('error'));
  }

  static install(): void {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  }

  /** The open multiplexed stream (`/api/downloads/events?ids=`), if any. */
  static list(): FakeEventSource | undefined {
    return FakeEventSource.instances.find((s) => s.url.startsWith('/api/downloads/events') && !s.closed);
  }

  /** The job ids the URL of a multiplexed stream asks for. */
  ids(): string[] {
    return (new URL(this.url, 'http://localhost').searchParams.get('ids') ?? '').split(',').filter(Boolean);
  }
}
