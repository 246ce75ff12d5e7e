/** A copy of typed array `a` of length `n` (`n` >= its length), the rest zero: a column grown. */
export function resized<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as { new (n: number): T })(n);
  b.set(a);
  return b;
}
