/**
 * An interval job: everything needed to analyse one interval of a recording,
 * as plain JSON-serializable data. It names the recording and the checkpoint
 * repository by reference (a path here; a URL or an object-store key for a
 * distributed runner), so the same job runs in this process, a worker
 * thread, another process or another machine (runIntervalJob does not care;
 * a job queue such as BullMQ can carry it as is).
 */
import type { PluginSpec } from './plugin.js';

export const JOB_VERSION = 1;

export interface IntervalJob {
  readonly version: typeof JOB_VERSION;
  /** Position of the interval in the recording (results merge in this order). */
  readonly index: number;
  /** The replay log. */
  readonly recording: string;
  /** The checkpoint repository (null: the interval starts at boot and needs none... unless it must verify its end). */
  readonly repository: string | null;
  /** How to build the machine (the environment's machine description, e.g. the CLI's parsed run options). */
  readonly machine: unknown;
  readonly start: {
    /** Checkpoint restored first (null: build the machine from boot). */
    readonly checkpoint: number | null;
    /** Instructions retired there. */
    readonly instret: number;
    /** Where the log is entered: its `start` event, or the marker of `checkpoint`. */
    readonly enter: 'start' | 'marker';
  };
  readonly end: {
    /** Replay stops once this many instructions have retired (Infinity is not JSON: null = the recording's end). */
    readonly instret: number | null;
    /** The checkpoint taken there, which the interval must end in exactly (null: none, nothing to verify). */
    readonly checkpoint: number | null;
  };
  /** Plugins are attached from this instret on (at or after start). */
  readonly analyseFrom: number;
  readonly plugins: readonly PluginSpec[];
  /** Compare the end state with `end.checkpoint` (default true). */
  readonly verify: boolean;
}

export type IntervalStatus = 'ok' | 'diverged' | 'mismatch' | 'plugin-error' | 'error';

export interface IntervalResult {
  readonly index: number;
  readonly status: IntervalStatus;
  /** First and last instret analysed. */
  readonly from: number;
  readonly until: number;
  /** The end state matched `end.checkpoint` (null: nothing to compare with). */
  readonly verified: boolean | null;
  /** What went wrong, naming the interval (and the plugin for plugin errors). */
  readonly error: string | null;
  readonly plugin: string | null;
  /** Each plugin's result for this interval (empty unless status is ok). */
  readonly results: Record<string, unknown>;
  /** Host figures, never part of the analysis output (they vary run to run). */
  /** pagesLoaded: RAM pages the lazy start restore loaded because the interval touched them (its working set; 0 from boot). */
  readonly timing: { restoreMs: number; skipMs: number; analyseMs: number; verifyMs: number; totalMs: number; instructions: number; analysedInstructions: number; pagesLoaded: number };
}
