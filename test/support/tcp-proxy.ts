import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy between the service and a server (PostgreSQL, Redis) that injects real network faults: connections
 * reset, refused, or silent (a partition). The shared servers themselves are never touched.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections open through the proxy now. */
  readonly open: number;
  /** Resets every open connection (RST), as a failover or a dropped link does; new connections pass. */
  resetAll(): void;
  /** Refuses new connections and resets the open ones, until `restore`. */
  refuse(): Promise<void>;
  /** Passes no byte either way, on open and new connections, until `restore` (which then resets them): a partition. */
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket | undefined]>();
  let mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  let server: net.Server | undefined;
  let port = 0;

  const forget = (pair: [net.Socket, net.Socket | undefined]) => pairs.delete(pair);
  const reset = (pair: [net.Socket, net.Socket | undefined]) => {
    for (const socket of pair) if (socket && !socket.destroyed) socket.resetAndDestroy();
    forget(pair);
  };
  const silence = (pair: [net.Socket, net.Socket | undefined]) => {
    const [client, upstream] = pair;
    client.unpipe();
    upstream?.unpipe();
    client.pause();
    upstream?.pause();
  };

  const listen = async () => {
    server = net.createServer((client) => {
      const pair: [net.Socket, net.Socket | undefined] = [client, undefined];
      pairs.add(pair);
      client.on('error', () => reset(pair));
      client.on('close', () => reset(pair));
      if (mode === 'blackhole') {
        client.pause();
        return;
      }
      const upstream = net.connect(target.port, target.host);
      pair[1] = upstream;
      upstream.on('error', () => reset(pair));
      upstream.on('close', () => reset(pair));
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stopListening = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

  await listen();
  return {
    get port() {
      return port;
    },
    get open() {
      return pairs.size;
    },
    resetAll() {
      for (const pair of [...pairs]) reset(pair);
    },
    async refuse() {
      mode = 'refuse';
      const closed = stopListening();
      for (const pair of [...pairs]) reset(pair);
      await closed;
    },
    blackhole() {
      mode = 'blackhole';
      for (const pair of pairs) silence(pair);
    },
    async restore() {
      const was = mode;
      mode = 'pass';
      if (was === 'blackhole') for (const pair of [...pairs]) reset(pair);
      if (was === 'refuse') await listen();
    },
    async close() {
      mode = 'refuse';
      for (const pair of [...pairs]) reset(pair);
      await stopListening();
    },
  };
}
