/**
 * A minimal real SOCKS5 server (RFC 1928: no authentication, CONNECT only) for tests of the overlay path. It
 * resolves domain names itself through `hosts`, as Tor does for onion names, and records what it was asked for.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** A running SOCKS5 server. */
export interface TestSocksServer extends AsyncDisposable {
  /** `socks5://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every `host:port` a client asked to reach, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Start a SOCKS5 server on 127.0.0.1; `hosts` maps requested names to the address actually dialled. */
export async function startSocksServer(hosts: Readonly<Record<string, string>> = {}): Promise<TestSocksServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    void handshake(client, hosts, requests);
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function reader(socket: Socket): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void } | undefined;
  const flush = (): void => {
    if (!want || buffered.length < want.n) return;
    const out = buffered.subarray(0, want.n);
    buffered = buffered.subarray(want.n);
    const w = want;
    want = undefined;
    w.resolve(out);
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    flush();
  };
  socket.on('data', onData);
  return (n) =>
    new Promise((resolve) => {
      want = { n, resolve };
      flush();
    });
}

async function handshake(client: Socket, hosts: Readonly<Record<string, string>>, requests: string[]): Promise<void> {
  const read = reader(client);
  const [version, nMethods] = await read(2);
  await read(nMethods ?? 0);
  if (version !== 5) return void client.destroy();
  client.write(Buffer.from([5, 0])); // no authentication
  const [, cmd, , atyp] = await read(4);
  let host: string;
  if (atyp === 1) host = [...(await read(4))].join('.');
  else if (atyp === 3) host = (await read((await read(1))[0] ?? 0)).toString('latin1');
  else if (atyp === 4) host = ((await read(16)).toString('hex').match(/.{4}/g) ?? []).join(':');
  else return void client.destroy();
  const port = (await read(2)).readUInt16BE(0);
  requests.push(`${host}:${port}`);
  const reply = (code: number): boolean => client.write(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]));
  if (cmd !== 1) return void (reply(7) && client.end());
  client.removeAllListeners('data');
  const upstream = connect(port, hosts[host] ?? host);
  upstream.once('connect', () => {
    reply(0);
    client.pipe(upstream).pipe(client);
  });
  upstream.once('error', () => {
    reply(5); // connection refused
    client.end();
  });
  client.once('close', () => upstream.destroy());
}
