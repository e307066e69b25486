import { BoundedOutput } from '../bounded-output';

/** The bzip2 decoder's output buffer (bounded by the decompression limit). */
export class Output extends BoundedOutput {
  constructor(max: number, hint: number) {
    super(max, hint, 'bzip2');
  }
}
