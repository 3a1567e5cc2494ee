/** Walks a log's events in order, decoding frames as it goes, with lookahead. */
import type { LogEvent } from './log-event.js';
import type { LogReader } from './log-reader.js';

/** Where a cursor stands: the next event is event `index` of frame `frame` (a debugger's checkpoints keep it). */
export interface CursorPosition {
  readonly frame: number;
  readonly index: number;
  readonly consumed: number;
}

export class EventCursor {
  private buf: LogEvent[] = [];
  /** Frame and index within it of each buffered event (frame * 2^20 + index). */
  private loc: number[] = [];
  private pos = 0;
  /** Events consumed so far (from where the cursor started). */
  consumed = 0;

  constructor(
    private readonly reader: LogReader,
    private frame = 0,
  ) {}

  /** The event k places ahead, or undefined past the end of the log. */
  peek(k = 0): LogEvent | undefined {
    while (this.pos + k >= this.buf.length && this.frame < this.reader.frames.length) {
      if (this.pos > 4096) { this.buf = this.buf.slice(this.pos); this.loc = this.loc.slice(this.pos); this.pos = 0; }
      const events = this.reader.events(this.frame); // throws on a corrupt frame: never skip it
      for (let i = 0; i < events.length; i++) { this.buf.push(events[i]); this.loc.push(this.frame * 1048576 + i); }
      this.frame++;
    }
    return this.buf[this.pos + k];
  }

  next(): LogEvent | undefined {
    const e = this.peek();
    if (e) { this.pos++; this.consumed++; }
    return e;
  }

  /** Restarts at the first event of frame `frame`. */
  seekFrame(frame: number): void {
    this.frame = frame;
    this.buf = [];
    this.loc = [];
    this.pos = 0;
  }

  /** The position of the next event (to come back to it with `seek`). */
  tell(): CursorPosition {
    this.peek();
    if (this.pos < this.buf.length) {
      const l = this.loc[this.pos];
      return { frame: Math.floor(l / 1048576), index: l % 1048576, consumed: this.consumed };
    }
    return { frame: this.frame, index: 0, consumed: this.consumed };
  }

  seek(p: CursorPosition): void {
    this.seekFrame(p.frame);
    this.peek(p.index);
    this.pos = p.index;
    this.consumed = p.consumed;
  }
}
