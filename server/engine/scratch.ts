/**
 * Typed arrays for one synchronous computation, cut from buffers kept between computations.
 *
 * A typed array of more than 64 bytes keeps its numbers outside V8's heap: a backing store of its
 * own, allocated and zeroed outside the heap, registered with it, and swept by every young
 * collection whether it is still used or not. The slot search made about fifty of them per request
 * (its start ranges, cursors and bit rows, and two per busy bucket it sorts); under the /starts
 * load of the benchmark each young collection spent 0.5 to 0.6 ms on average sweeping them (up to
 * 5.8 ms), 0.1 to 0.3 ms once they were cut from here, and every request in flight waits out such
 * a pause. A view cut from a kept buffer (`subarray`) is an ordinary small object with no store of
 * its own.
 *
 * Nothing a computation returns may be such a view: the next computation writes over it.
 */
export class Scratch {
  private f64: Float64Array;
  private i32: Int32Array;
  private f64Used = 0;
  private i32Used = 0;

  /** `size`: numbers per buffer to begin with. */
  constructor(private readonly size: number) {
    this.f64 = new Float64Array(size);
    this.i32 = new Int32Array(size);
  }

  /** `n` zeros, valid until the computation that was lent this scratch returns. */
  float64(n: number): Float64Array {
    if (this.f64Used + n > this.f64.length) {
      // The views already cut keep the old buffer; the rest of this computation cuts from the new.
      this.f64 = new Float64Array(Math.max(n, 2 * this.f64.length));
      this.f64Used = 0;
    }
    const view = this.f64.subarray(this.f64Used, this.f64Used + n);
    this.f64Used += n;
    return view.fill(0);
  }

  /** `n` zeros, valid until the computation that was lent this scratch returns. */
  int32(n: number): Int32Array {
    if (this.i32Used + n > this.i32.length) {
      this.i32 = new Int32Array(Math.max(n, 2 * this.i32.length));
      this.i32Used = 0;
    }
    const view = this.i32.subarray(this.i32Used, this.i32Used + n);
    this.i32Used += n;
    return view.fill(0);
  }

  /** Everything cut is free again; a buffer grown past `LARGEST` by one large computation is let go. */
  reset(): void {
    this.f64Used = 0;
    this.i32Used = 0;
    if (this.f64.length > LARGEST) this.f64 = new Float64Array(this.size);
    if (this.i32.length > LARGEST) this.i32 = new Int32Array(this.size);
  }
}

/** Numbers per buffer to begin with: a week of 20 therapists needs about 1 500. */
const INITIAL = 4_096;
/** Numbers per buffer kept after a computation: 512 KiB of float64. */
const LARGEST = 65_536;

let kept: Scratch | null = new Scratch(INITIAL);

/**
 * `fn` with the kept scratch, which it may cut from until it returns; a computation that starts
 * while another holds it (a caller's callback that searches again) gets a scratch of its own, whose
 * buffers are made at the size it asks for.
 */
export function withScratch<T>(fn: (scratch: Scratch) => T): T {
  const own = kept;
  if (own === null) return fn(new Scratch(0));
  kept = null;
  try {
    return fn(own);
  } finally {
    own.reset();
    kept = own;
  }
}
