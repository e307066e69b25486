/** `polyp2p mesh --port 4444 [--host h] [--connect host:port] [--subnet name]` */
import * as readline from 'readline';
import { createMesh } from '../mesh';
import { backend } from '../native';
import { hostPort } from './args';

export async function meshCommand(options: Record<string, string | true>): Promise<void> {
  const mesh = await createMesh({
    host: typeof options.host === 'string' ? options.host : '127.0.0.1',
    port: Number(options.port ?? 0),
    subnet: typeof options.subnet === 'string' ? options.subnet : 'mesh',
  });
  const short = (id: string | null) => (id ? id.slice(0, 10) + '…' : '?');
  console.log(`polyp2p mesh node ${mesh.id}`);
  console.log(`listening on ${mesh.host}:${mesh.port} (subnet ${mesh.options.subnet}, backend ${backend}); type a line to broadcast it, Ctrl-D to quit`);
  mesh.on('peer', (p) => console.log(`+ peer ${short(p.id)} at ${p.addr?.join(':')}`));
  mesh.on('peer-left', (p) => console.log(`- peer ${short(p.id)} left`));
  mesh.on('peerError', (e) => console.log(`! ${e.message}`));
  mesh.on('message', (m) => console.log(`< ${short(m.sender)}: ${m.data.map((d: unknown) => (typeof d === 'string' ? d : JSON.stringify(d))).join(' ')}`));
  if (typeof options.connect === 'string') {
    const [h, p] = hostPort(options.connect);
    mesh.connect(h, p).catch((e: Error) => console.log(`! ${e.message}`));
  }
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim()) mesh.broadcast(line);
  });
  const stop = async () => {
    rl.close();
    await mesh.close();
    process.exit(0);
  };
  rl.on('close', stop);
  process.on('SIGINT', stop);
}
