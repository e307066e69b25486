import { BoundedOutput } from '../bounded-output';

/** The xz decoder's output buffer (bounded by the decompression limit). */
export class Output extends BoundedOutput {
  constructor(max: number, hint: number) {
    super(max, hint, 'xz');
  }
}
