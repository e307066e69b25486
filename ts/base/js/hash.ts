import { createHash } from 'crypto';
import { base58EncodeBytes } from './base58';

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
export function sha384(data: Uint8Array): Buffer {
  return createHash('sha384').update(data).digest();
}
export function nodeIdFromPreimage(preimage: Uint8Array): string {
  return base58EncodeBytes(sha384(preimage));
}
export function protocolId(subnet: string, encryption: string, version: string): string {
  return base58EncodeBytes(sha256(Buffer.from(subnet + encryption + version, 'utf8')));
}
