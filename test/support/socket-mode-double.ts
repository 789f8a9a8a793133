// Slack's Socket Mode server side, on loopback, for the real @slack/socket-mode client inside Bolt: it says hello, sends
// envelopes (slash_commands, interactive) as Slack does, and hands back what the app acknowledged with
// (api.slack.com/apis/socket-mode: every envelope is acked by its envelope_id, with an optional response payload).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketModeDouble {
  url: string;
  /** Resolves once an app has connected and been greeted. */
  connected: Promise<void>;
  /** Sends one envelope and resolves with the payload of the app's ack. */
  send(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startSocketModeDouble(): Promise<SocketModeDouble> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const acks = new Map<string, (payload: Record<string, unknown>) => void>();
  let socket: WebSocket | undefined;
  let greeted: () => void = () => {};
  const connected = new Promise<void>((resolve) => (greeted = resolve));
  server.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { envelope_id?: string; payload?: Record<string, unknown> };
      if (message.envelope_id) acks.get(message.envelope_id)?.(message.payload ?? {});
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'oombot-test' }, connection_info: { app_id: 'A0OOMBOT' } }));
    greeted();
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`,
    connected,
    send: (type, payload) =>
      new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no app is connected'));
        const id = randomUUID();
        const timer = setTimeout(() => reject(new Error(`no ack for ${type} envelope within 3 s (Slack's limit)`)), 3_000);
        acks.set(id, (ack) => {
          clearTimeout(timer);
          acks.delete(id);
          resolve(ack);
        });
        socket.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type === 'slash_commands' }));
      }),
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
