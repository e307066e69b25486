/**
 * `polyp2p seed <addr> <port> [transport]`, as js2p's and py2p's `seed`: a
 * bootstrap seed, a data-storing chord node on the subnet `bootstrap` that
 * bootstrap() (compat/bootstrap.ts) registers with and asks for peers.
 * transport: Plaintext (default) or SSL.
 */
import { createChord } from '../chord';
import { BOOTSTRAP_SUBNET } from '../compat/bootstrap';

/** `positional` is <addr> <port> [transport], checked by the CLI (commands.ts). */
export async function seedCommand(positional: string[]): Promise<void> {
  const [host, portText, transport = 'Plaintext'] = positional;
  const port = Number(portText);
  const seed = await createChord({ host, port, subnet: BOOTSTRAP_SUBNET, encryption: transport, join: true });
  console.log(`polyp2p seed ${seed.id} on ${seed.host}:${seed.port} (${transport}); Ctrl-C to stop`);
  const stop = () => void seed.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
