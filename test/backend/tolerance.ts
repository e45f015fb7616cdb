/** max |got − want| relative to max |want|: the tolerance measure of the wasm-vs-cpu kernel tests. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}
