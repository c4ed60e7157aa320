/**
 * The kernel's single event queue: a binary min-heap ordered by (time, insertion sequence).
 *
 * Ties at the same microsecond resolve in insertion order, which makes the order of events a
 * function of the run alone. The heap keeps its keys in typed arrays beside the slot numbers so
 * that sifting touches contiguous memory and allocates nothing; an event's fields live in
 * per-slot arrays and slots are recycled through a free list.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./event_queue.ts";
 * const queue = new EventQueue();
 * queue.push(10, 1, 0, 0, 0, "late");
 * queue.push(5, 1, 0, 0, 0, "early");
 * const slot = queue.pop(); // queue.payload[slot] === "early"
 * ```
 * @module
 */
import { assert } from "../assert.ts";

const capacityInitial = 1024;

/** A growable heap of events. Fields of a popped slot stay readable until {@linkcode release}. */
export class EventQueue {
  /** Event kind per slot (the kernel's numbering). */
  kind: Uint8Array = new Uint8Array(capacityInitial);
  /** Target node per slot, or -1 for kernel callbacks. */
  node: Int32Array = new Int32Array(capacityInitial);
  /** A kind-specific integer: the sender for messages, the timer id for timers. */
  arg: Float64Array = new Float64Array(capacityInitial);
  /** The target node's incarnation when the event was queued; stale incarnations are dropped. */
  incarnation: Int32Array = new Int32Array(capacityInitial);
  /** Time of each slot's event, kept for readers after pop. */
  timeUs: Float64Array = new Float64Array(capacityInitial);
  /** Insertion sequence of each slot's event. */
  seq: Float64Array = new Float64Array(capacityInitial);
  /** A kind-specific object: the message, the timer tag, the callback. */
  payload: unknown[] = new Array(capacityInitial).fill(undefined);

  #heapTime = new Float64Array(capacityInitial);
  #heapSeq = new Float64Array(capacityInitial);
  #heapSlot = new Int32Array(capacityInitial);
  #size = 0;
  #free: number[] = [];
  #slotsUsed = 0;
  #seqNext = 0;

  /** Number of queued events. */
  get size(): number {
    return this.#size;
  }

  /** The time of the earliest event, or Infinity when empty. */
  peekTimeUs(): number {
    return this.#size === 0 ? Infinity : this.#heapTime[0];
  }

  /** Queues an event and returns its slot. */
  push(timeUs: number, kind: number, node: number, arg: number, incarnation: number, payload: unknown): number {
    const slot = this.#allocate();
    const seq = this.#seqNext++;
    this.kind[slot] = kind;
    this.node[slot] = node;
    this.arg[slot] = arg;
    this.incarnation[slot] = incarnation;
    this.payload[slot] = payload;
    this.timeUs[slot] = timeUs;
    this.seq[slot] = seq;
    if (this.#size === this.#heapSlot.length) this.#growHeap();
    this.#siftUp(this.#size++, timeUs, seq, slot);
    return slot;
  }

  /** Removes the earliest event and returns its slot; the caller must {@linkcode release} it. */
  pop(): number {
    assert(this.#size > 0, "pop() from an empty event queue");
    const top = this.#heapSlot[0];
    const last = --this.#size;
    if (last > 0) this.#siftDown(this.#heapTime[last], this.#heapSeq[last], this.#heapSlot[last], last);
    return top;
  }

  /** Returns a popped slot to the free list and drops its payload reference. */
  release(slot: number): void {
    this.payload[slot] = undefined;
    this.#free.push(slot);
  }

  #siftUp(position: number, timeUs: number, seq: number, slot: number): void {
    const times = this.#heapTime;
    const seqs = this.#heapSeq;
    const slots = this.#heapSlot;
    let i = position;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent];
      if (parentTime < timeUs || (parentTime === timeUs && seqs[parent] < seq)) break;
      times[i] = parentTime;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = timeUs;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Places (timeUs, seq, slot) starting from the root of a heap of `size` entries. */
  #siftDown(timeUs: number, seq: number, slot: number, size: number): void {
    const times = this.#heapTime;
    const seqs = this.#heapSeq;
    const slots = this.#heapSlot;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size && (times[right] < times[child] || (times[right] === times[child] && seqs[right] < seqs[child]))
      ) child = right;
      const childTime = times[child];
      if (timeUs < childTime || (timeUs === childTime && seq < seqs[child])) break;
      times[i] = childTime;
      seqs[i] = seqs[child];
      slots[i] = slots[child];
      i = child;
    }
    times[i] = timeUs;
    seqs[i] = seq;
    slots[i] = slot;
  }

  #allocate(): number {
    if (this.#free.length > 0) return this.#free.pop()!;
    if (this.#slotsUsed === this.kind.length) this.#growSlots();
    return this.#slotsUsed++;
  }

  #growSlots(): void {
    const capacity = this.kind.length * 2;
    this.kind = grow(this.kind, new Uint8Array(capacity));
    this.node = grow(this.node, new Int32Array(capacity));
    this.arg = grow(this.arg, new Float64Array(capacity));
    this.incarnation = grow(this.incarnation, new Int32Array(capacity));
    this.timeUs = grow(this.timeUs, new Float64Array(capacity));
    this.seq = grow(this.seq, new Float64Array(capacity));
    for (let i = this.payload.length; i < capacity; i++) this.payload.push(undefined);
  }

  #growHeap(): void {
    const capacity = this.#heapSlot.length * 2;
    this.#heapTime = grow(this.#heapTime, new Float64Array(capacity));
    this.#heapSeq = grow(this.#heapSeq, new Float64Array(capacity));
    this.#heapSlot = grow(this.#heapSlot, new Int32Array(capacity));
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
