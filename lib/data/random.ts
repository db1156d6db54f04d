/**
 * Seeded pseudo-random numbers. Everything random in grasplab takes an `Rng` argument (no Math.random), so
 * notebooks, tests and data generation are reproducible from one seed.
 *
 * Generator: sfc32 (small fast counter, 128-bit state, passes PractRand), seeded through splitmix32 so that
 * nearby seeds (1, 2, 3…) give unrelated streams.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** cached second value of the Box–Muller pair */
  private spare: number | undefined;

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be a finite number, got ${seed}`);
    let s = Math.floor(seed) >>> 0 ^ Math.floor(seed / 2 ** 32);
    const next = () => (s = splitmix32(s));
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // warm up: the first outputs of sfc32 are weakly mixed
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int(n) needs n >= 1, got ${n}`);
    return Math.floor(this.next() * Math.floor(n));
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick on an empty array');
    return items[this.int(items.length)];
  }

  /** Fisher–Yates shuffle, in place; returns `a`. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * An independent generator derived from this one's seed and `salt` only (not from the draws made so far),
   * so e.g. scene `i` of a dataset is the same whatever was generated before it.
   */
  fork(salt: number): Rng {
    return new Rng(splitmix32((splitmix32(this.seed >>> 0 ^ 0x9e3779b9) + Math.imul(salt | 0, 0x85ebca6b)) >>> 0));
  }
}

/** One step of splitmix32: a well-mixed 32-bit hash of `x`. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
