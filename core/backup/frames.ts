// Authenticated encryption of a stream in frames (the STREAM construction): each frame is sealed with AES-256-GCM
// under its own nonce (file nonce | frame index), and its index, a last-frame flag and the file header's hash are
// in the associated data. A changed byte, a swapped or dropped frame, an edited header or a cut file all fail.
//
//   frame = uint32 BE (ciphertext length | 0x80000000 on the last frame) | ciphertext | GCM tag (16)
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { deriveKey } from '../keys/crypto.js';
import { BackupError } from './format.js';

export const FRAME_BYTES = 64 * 1024;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const NONCE_BYTES = 8;
const TAG_BYTES = 16;
const LAST = 0x80000000;
const MAX_FRAMES = 0xffffffff;

export interface FrameKey {
  key: Buffer;
  nonce: Buffer;
}

/** A fresh key and nonce for a new file: the key derives from the master key, the nonce is random. */
export function newFrameKey(masterKey: Buffer): FrameKey {
  return { key: deriveKey(masterKey, 'backup'), nonce: randomBytes(NONCE_BYTES) };
}

export function keyCheck({ key, nonce }: FrameKey): string {
  return createHmac('sha256', key).update('srhub/backup/key-check').update(nonce).digest().subarray(0, 16).toString('base64');
}

/** The key for reading a file; refuses a master key other than the one the file was made with. */
export function frameKeyFor(masterKey: Buffer, header: { nonce: string; key_check: string }): FrameKey {
  const frameKey = { key: deriveKey(masterKey, 'backup'), nonce: Buffer.from(header.nonce, 'base64') };
  const expected = Buffer.from(keyCheck(frameKey), 'base64');
  const found = Buffer.from(header.key_check ?? '', 'base64');
  if (frameKey.nonce.length !== NONCE_BYTES || found.length !== expected.length || !timingSafeEqual(found, expected)) {
    throw new BackupError('This backup was made with a different master key (SRHUB_MASTER_KEY); it cannot be read with this one.');
  }
  return frameKey;
}

function nonceOf(frameKey: FrameKey, index: number): Buffer {
  const iv = Buffer.alloc(NONCE_BYTES + 4);
  frameKey.nonce.copy(iv, 0);
  iv.writeUInt32BE(index, NONCE_BYTES);
  return iv;
}

function aadOf(headerHash: Buffer, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail.writeUInt8(last ? 1 : 0, 4);
  return Buffer.concat([headerHash, tail]);
}

/** Plaintext in, frames out. The last frame is held back until the end, so it can carry the flag. */
export class FrameSealer extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    private readonly frameKey: FrameKey,
    private readonly headerHash: Buffer,
    private readonly frameBytes = FRAME_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      // strictly more than a frame: the data that ends the stream always stays for _flush
      while (this.pendingBytes > this.frameBytes) {
        const all = Buffer.concat(this.pending);
        this.push(this.seal(all.subarray(0, this.frameBytes), false));
        this.pending = [all.subarray(this.frameBytes)];
        this.pendingBytes = all.length - this.frameBytes;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.push(this.seal(Buffer.concat(this.pending), true));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private seal(plain: Buffer, last: boolean): Buffer {
    if (this.index >= MAX_FRAMES) throw new Error('backup too large for one file');
    const cipher = createCipheriv('aes-256-gcm', this.frameKey.key, nonceOf(this.frameKey, this.index));
    cipher.setAAD(aadOf(this.headerHash, this.index, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(body.length + (last ? LAST : 0));
    this.index += 1;
    return Buffer.concat([prefix, body, cipher.getAuthTag()]);
  }
}

/** Frames in, plaintext out; fails on the first frame that does not authenticate, and on a file without its last frame. */
export class FrameOpener extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private index = 0;
  private ended = false;
  private readonly maxFrame: number;

  constructor(
    private readonly frameKey: FrameKey,
    private readonly headerHash: Buffer,
    frameBytes: number,
  ) {
    super();
    this.maxFrame = Math.min(frameBytes, MAX_FRAME_BYTES);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    try {
      while (this.buffered.length >= 4) {
        if (this.ended) throw new BackupError('The backup file is damaged: it has data after its last frame.');
        const prefix = this.buffered.readUInt32BE(0);
        const last = prefix >= LAST;
        const length = last ? prefix - LAST : prefix;
        if (length > this.maxFrame) throw this.damaged();
        const total = 4 + length + TAG_BYTES;
        if (this.buffered.length < total) break;
        this.push(this.open(this.buffered.subarray(4, 4 + length), this.buffered.subarray(4 + length, total), last));
        this.buffered = this.buffered.subarray(total);
        this.ended = last;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.ended && this.buffered.length === 0 ? undefined : new BackupError('The backup file is truncated: it ends before its last frame.'));
  }

  private open(body: Buffer, tag: Buffer, last: boolean): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.frameKey.key, nonceOf(this.frameKey, this.index));
    decipher.setAAD(aadOf(this.headerHash, this.index, last));
    decipher.setAuthTag(tag);
    try {
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      this.index += 1;
      return plain;
    } catch {
      throw this.damaged();
    }
  }

  private damaged(): BackupError {
    return new BackupError(`The backup file is damaged or was altered (frame ${this.index} does not authenticate).`);
  }
}
