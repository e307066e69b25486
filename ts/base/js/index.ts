import type { Backend } from '../backend';
import { base58DecodeInt, base58EncodeBytes, base58EncodeInt } from './base58';
import { nodeIdFromPreimage, protocolId, sha256, sha384 } from './hash';
import { msgpackEncode } from './msgpack-encode';
import { msgpackDecode } from './msgpack-decode';
import { compress, compressionMethods, decompress } from './compression';
import { decodeBody, encodeMessage, frameFromMsgpack, jsSeal, jsSealFrames } from './message';
import { FrameDecoder } from './framing';
import { JsFrameReader } from './frame-reader';
import { WaterfallCache } from './waterfall';
import { chordPositions, closestPreceding, fingerTargets, ringBetween, ringDistance } from './chord';

/** The pure-TypeScript backend: used when no native addon loads. */
export const jsBackend: Backend = {
  name: 'js',
  base58EncodeInt,
  base58EncodeBytes,
  base58DecodeInt,
  sha256,
  sha384,
  nodeIdFromPreimage,
  protocolId,
  msgpackEncode,
  msgpackDecode,
  compressionMethods,
  compress,
  decompress,
  encodeMessage,
  sealFrame: jsSeal,
  sealFrames: jsSealFrames,
  frameFromMsgpack,
  decodeBody,
  createFrameDecoder: (maxFrameSize) => new FrameDecoder(maxFrameSize),
  createFrameReader: (limits) => new JsFrameReader(limits),
  createWaterfallCache: (windowSeconds, maxEntries) => new WaterfallCache(windowSeconds, maxEntries),
  chordPositions,
  ringDistance,
  ringBetween,
  fingerTargets,
  closestPreceding,
};
