/** Walks a log's events in order, decoding frames as it goes, with lookahead. */
import type { LogEvent } from './log-event.js';
import type { LogReader } from './log-reader.js';

export class EventCursor {
  private buf: LogEvent[] = [];
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
      if (this.pos > 4096) { this.buf = this.buf.slice(this.pos); this.pos = 0; }
      const events = this.reader.events(this.frame); // throws on a corrupt frame: never skip it
      this.frame++;
      for (const e of events) this.buf.push(e);
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
    this.pos = 0;
  }
}
