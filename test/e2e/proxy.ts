/**
 * A forwarding HTTP proxy on the host (10.0.2.2 inside the VM) that demands credentials, for the
 * boot test of `proxy:`. Plain requests (absolute URIs) are forwarded, CONNECT is tunnelled, and
 * every request is logged with the credentials it carried. 10.0.2.2 is the host's loopback as the
 * VM sees it, so requests for it are sent to 127.0.0.1.
 */
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

export interface ProxyLog {
  readonly method: string;
  readonly url: string;
  readonly authorized: boolean;
}

export async function forwardProxy(user: string, password: string, log: ProxyLog[]): Promise<{ server: Server; port: number }> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const target = (host: string): string => (host === '10.0.2.2' ? '127.0.0.1' : host);
  const server = createServer((req, res) => {
    const authorized = req.headers['proxy-authorization'] === expected;
    log.push({ method: req.method ?? '', url: req.url ?? '', authorized });
    if (!authorized) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="crinit-e2e"' }).end();
      return;
    }
    let u: URL;
    try {
      u = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: u.host };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const out = request({ host: target(u.hostname), port: u.port || 80, path: `${u.pathname}${u.search}`, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(out);
  });
  server.on('connect', (req, socket, head) => {
    const authorized = req.headers['proxy-authorization'] === expected;
    log.push({ method: 'CONNECT', url: req.url ?? '', authorized });
    if (!authorized) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="crinit-e2e"\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), target(host ?? ''), () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
