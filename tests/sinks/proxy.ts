import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP forwarder on 127.0.0.1 in front of a real broker: `down()` closes the listener and cuts every
 * connection through it (a broker outage as the client sees it: refused connections, dropped
 * sockets), `up()` listens again on the same port. The broker itself keeps running for other tests.
 */
export async function brokerProxy(targetPort: number) {
  let listener: TCPSocketListener<{ peer?: Socket<unknown>; pending: Uint8Array[] }> | undefined;
  const open = new Set<Socket<unknown>>();
  let port = 0;

  const listen = () => {
    listener = Bun.listen<{ peer?: Socket<unknown>; pending: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port,
      socket: {
        async open(client) {
          client.data = { pending: [] };
          open.add(client);
          try {
            const upstream = await Bun.connect({
              hostname: "127.0.0.1",
              port: targetPort,
              socket: {
                data: (_s, chunk) => void client.write(chunk),
                close: () => void client.end(),
                error: () => void client.end(),
              },
            });
            open.add(upstream);
            client.data.peer = upstream;
            for (const chunk of client.data.pending) upstream.write(chunk);
            client.data.pending = [];
          } catch {
            client.end();
          }
        },
        data(client, chunk) {
          if (client.data.peer) client.data.peer.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          open.delete(client);
          client.data.peer?.end();
        },
        error(client) {
          client.data.peer?.end();
        },
      },
    });
    port = listener.port;
  };
  listen();

  return {
    get port() {
      return port;
    },
    down() {
      listener?.stop(true);
      listener = undefined;
      for (const s of open) s.terminate();
      open.clear();
    },
    up() {
      if (!listener) listen();
    },
  };
}
