/** Constants of the bzip2 format shared by the decoder and the encoder. */
export const BLOCK_MAGIC_HI = 0x314159;
export const BLOCK_MAGIC_LO = 0x265359;
export const END_MAGIC_HI = 0x177245;
export const END_MAGIC_LO = 0x385090;
export const MAX_GROUPS = 6;
export const MAX_ALPHA = 258;
export const MAX_CODE_LEN = 20;
export const MAX_SELECTORS = 18002;
export const GROUP_SIZE = 50;
export const RUNA = 0;
export const RUNB = 1;
