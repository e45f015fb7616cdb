// Small summary statistics shared by unrelated parts (the median pruner, the latency measurement).

/** The median of `xs` (the mean of the two middle values when their number is even). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
