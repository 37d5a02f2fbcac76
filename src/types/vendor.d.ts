// Minimal typings for the untyped dependencies, limited to what the project uses.
declare module 'lzma-native' {
  interface LzmaStreamOptions {
    filters?: object[];
    synchronous?: boolean;
  }
  const lzma: {
    FILTER_LZMA1: number;
    FILTER_LZMA2: number;
    FILTER_ARMTHUMB: number;
    MODE_NORMAL: number;
    MODE_FAST: number;
    MF_BT4: number;
    MF_HC4: number;
    createStream(kind: 'rawEncoder' | 'rawDecoder', options: LzmaStreamOptions): NodeJS.ReadWriteStream;
    versionString(): string;
  };
  export default lzma;
}
