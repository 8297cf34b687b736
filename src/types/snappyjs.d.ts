/** snappyjs ships no types: the one function zps uses. */
declare module 'snappyjs' {
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
