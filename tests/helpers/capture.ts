// A writable stream that keeps what is written, posing as a terminal or not (progress output tests).
import { Writable } from 'node:stream';

export class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}
