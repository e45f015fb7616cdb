// Small dense linear algebra in float64 for the batch-sized (N x N) matrices of jacob_cov and
// NASWOT: float32 tensors would lose the log-determinant of a 64 x 64 kernel whose entries are
// counts in the hundreds of thousands, and these are microseconds of work for N = 64.

export type Matrix = Float64Array[];

/** np.corrcoef of the rows: Pearson correlation between every pair of rows. NaN where a row is constant. */
export function corrcoef(rows: ArrayLike<number>[]): Matrix {
  const n = rows.length;
  const centred = rows.map((r) => {
    let mean = 0;
    for (let j = 0; j < r.length; j++) mean += r[j];
    mean /= r.length;
    const c = new Float64Array(r.length);
    let ss = 0;
    for (let j = 0; j < r.length; j++) {
      c[j] = r[j] - mean;
      ss += c[j] * c[j];
    }
    const scale = 1 / Math.sqrt(ss);
    for (let j = 0; j < r.length; j++) c[j] *= scale;
    return c;
  });
  const out = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let dot = 0;
      const a = centred[i];
      const b = centred[k];
      for (let j = 0; j < a.length; j++) dot += a[j] * b[j];
      out[i][k] = out[k][i] = dot;
    }
  }
  return out;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (ascending). */
export function symmetricEigenvalues(m: ArrayLike<number>[]): number[] {
  const n = m.length;
  const a = m.map((r) => Float64Array.from(r));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i][i] * a[i][i];
      for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    }
    if (!Number.isFinite(off)) return new Array<number>(n).fill(Number.NaN);
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]).sort((x, y) => x - y);
}

/** np.linalg.slogdet: the sign and log|det| by LU with partial pivoting; log|det| = -Infinity when singular. */
export function slogdet(m: ArrayLike<number>[]): { sign: number; logAbsDet: number } {
  const n = m.length;
  const a = m.map((r) => Float64Array.from(r));
  let sign = 1;
  let logAbsDet = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    const p = a[pivot][col];
    if (Number.isNaN(p)) return { sign: Number.NaN, logAbsDet: Number.NaN };
    if (p === 0) return { sign: 0, logAbsDet: Number.NEGATIVE_INFINITY };
    if (pivot !== col) {
      [a[pivot], a[col]] = [a[col], a[pivot]];
      sign = -sign;
    }
    if (p < 0) sign = -sign;
    logAbsDet += Math.log(Math.abs(p));
    for (let r = col + 1; r < n; r++) {
      const f = a[r][col] / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r][k] -= f * a[col][k];
    }
  }
  return { sign, logAbsDet };
}
