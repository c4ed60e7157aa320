/**
 * Idempotent producer state of one partition (KIP-98): per producer id, its epoch and the last
 * sequence number appended, and that record's offset. A retry of the last record is recognised as
 * a duplicate; a sequence past the next one is a gap (a record was lost between them) and is
 * refused, not appended.
 *
 * Producers here keep one request in flight per partition, so remembering the last sequence is
 * enough; Kafka remembers five batches for its five in flight.
 *
 * @example
 * ```ts
 * import { ProducerState } from "./producer_state.ts";
 * const state = new ProducerState();
 * state.check(7, 0, 0); // { kind: "append" }
 * state.update({ producerId: 7, producerEpoch: 0, sequence: 0, offset: 0 });
 * state.check(7, 0, 0); // { kind: "duplicate", offset: 0 }
 * state.check(7, 0, 2); // { kind: "outOfOrderSequence" }
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** What a leader does with a produced record. */
export type SequenceVerdict =
  | { kind: "append" }
  | { kind: "duplicate"; offset: number }
  | { kind: "outOfOrderSequence" }
  | { kind: "unknownProducer" }
  | { kind: "staleEpoch" };

interface Entry {
  producerEpoch: number;
  lastSequence: number;
  lastOffset: number;
}

/** The producers of one partition and their last sequence numbers. */
export class ProducerState {
  #producers = new Map<number, Entry>();

  /** The verdict on a record from `producerId` at `producerEpoch` with `sequence`. */
  check(producerId: number, producerEpoch: number, sequence: number): SequenceVerdict {
    assert(sequence >= 0, `sequence ${sequence} is negative`);
    const entry = this.#producers.get(producerId);
    // A producer this log has never seen starts at sequence 0; anything else means its earlier
    // records are missing here, which is a gap the producer must hear of.
    if (entry === undefined) return sequence === 0 ? { kind: "append" } : { kind: "unknownProducer" };
    if (producerEpoch < entry.producerEpoch) return { kind: "staleEpoch" };
    if (producerEpoch > entry.producerEpoch) {
      return sequence === 0 ? { kind: "append" } : { kind: "outOfOrderSequence" };
    }
    if (sequence === entry.lastSequence + 1) return { kind: "append" };
    if (sequence <= entry.lastSequence) return { kind: "duplicate", offset: entry.lastOffset };
    return { kind: "outOfOrderSequence" };
  }

  /**
   * Takes an appended (or replicated) record into account. A follower takes its leader's records
   * as they come, without judging their sequence: the leader judged them when it appended them.
   */
  update(
    record: { producerId: number; producerEpoch: number; sequence: number; offset: number; control?: string },
  ): void {
    if (record.control !== undefined) return this.#updateEpoch(record);
    if (record.sequence < 0 || record.offset < 0) assert(false, `record ${record.offset}: sequence ${record.sequence}`);
    this.#producers.set(record.producerId, {
      producerEpoch: record.producerEpoch,
      lastSequence: record.sequence,
      lastOffset: record.offset,
    });
  }

  /**
   * A transaction marker carries the coordinator's epoch of the producer: a newer one fences the
   * older epoch here (its next records are refused) and the new epoch's sequences start at 0.
   */
  #updateEpoch(marker: { producerId: number; producerEpoch: number; offset: number }): void {
    const entry = this.#producers.get(marker.producerId);
    if (entry !== undefined && entry.producerEpoch >= marker.producerEpoch) return;
    this.#producers.set(marker.producerId, {
      producerEpoch: marker.producerEpoch,
      lastSequence: -1,
      lastOffset: marker.offset,
    });
  }

  /** The epoch this partition knows of `producerId`, if any. */
  epochOf(producerId: number): number | undefined {
    return this.#producers.get(producerId)?.producerEpoch;
  }

  /** Producers known. */
  size(): number {
    return this.#producers.size;
  }
}
