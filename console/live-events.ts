// The console page's live feed: Server-Sent Events (html.spec.whatwg.org/multipage/server-sent-events.html). Each event
// carries a sequence number as its `id`; the page asks for the events after the state it was rendered from
// (`?since=`), and EventSource sends `Last-Event-ID` when it reconnects, so nothing is missed or shown twice. When the
// events asked for are no longer held (or come from before a restart), the page is told to reload.
import type { IncomingMessage, ServerResponse } from 'node:http';

const KEPT_EVENTS = 1000;
const HEARTBEAT_MS = 15_000;

export class LiveEvents {
  private sequence = 0;
  private readonly log: { seq: number; data: string }[] = [];
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), HEARTBEAT_MS);

  constructor() {
    this.heartbeat.unref();
  }

  /** The sequence number of the last event: a page rendered now is up to date until the next one. */
  get seq(): number {
    return this.sequence;
  }

  publish(event: Record<string, unknown>): void {
    this.sequence += 1;
    // JSON.stringify escapes line breaks, so one `data:` line holds the whole event.
    const entry = { seq: this.sequence, data: JSON.stringify({ ...event, seq: this.sequence }) };
    this.log.push(entry);
    if (this.log.length > KEPT_EVENTS) this.log.shift();
    this.broadcast(frame(entry));
  }

  attach(req: IncomingMessage, res: ServerResponse, sinceParam: string | null): void {
    const lastEventId = req.headers['last-event-id'];
    const since = Number(typeof lastEventId === 'string' ? lastEventId : (sinceParam ?? this.sequence));
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1000\n\n');
    const oldest = this.log[0]?.seq ?? this.sequence + 1;
    if (!Number.isInteger(since) || since > this.sequence || since < oldest - 1) {
      res.write('event: reset\ndata: {}\n\n');
    } else {
      for (const entry of this.log) if (entry.seq > since) res.write(frame(entry));
    }
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const res of this.clients) res.write(text);
  }
}

function frame(entry: { seq: number; data: string }): string {
  return `id: ${entry.seq}\ndata: ${entry.data}\n\n`;
}
