/**
 * The virt board: RAM, CLINT, PLIC, UART, test/syscon, goldfish RTC and eight
 * virtio-mmio slots laid out like QEMU's `virt`, one hart, a generated device
 * tree, and the run loop that keeps time deterministic.
 */
import type { EngineName } from '../cpu/engines.js';
import { Bus } from '../bus.js';
import { GuestMemory, PAGE_SIZE } from '../memory.js';
import { InputPort, type InputSource, type AsyncInput, type Landmark } from '../input.js';
import { TIMEBASE_HZ, type Clock } from '../clock.js';
import type { SaveOptions, StateRecord, StateValue } from '../state.js';
import { expectVersion } from '../state.js';
import { Hart } from '../cpu/hart.js';
import type { Instrumentation } from '../cpu/instrumentation.js';
import { warmUpInterpreter } from '../cpu/warmup.js';
import { Clint } from '../devices/clint.js';
import { Plic } from '../devices/plic.js';
import { Uart16550 } from '../devices/uart16550.js';
import { SifiveTest, type FinisherEvent } from '../devices/sifive-test.js';
import { GoldfishRtc } from '../devices/goldfish-rtc.js';
import {
  VIRT_CLINT_BASE, VIRT_CLINT_SIZE, VIRT_PLIC_BASE, VIRT_PLIC_SIZE, VIRT_UART0_BASE, VIRT_UART0_SIZE,
  VIRT_UART0_IRQ, VIRT_TEST_BASE, VIRT_TEST_SIZE, VIRT_RTC_BASE, VIRT_RTC_SIZE, VIRT_RTC_IRQ,
  VIRT_VIRTIO_COUNT, VIRT_VIRTIO_IRQ, VIRT_DRAM_BASE, virtioSlotBase,
} from '../devices/virt-map.js';
import { VIRT_VIRTIO_SIZE } from '../devices/virt-map.js';
import { buildVirtDeviceTree } from '../fdt/virt-device-tree.js';
import { VirtioMmioTransport } from '../virtio/mmio-transport.js';
import { VirtioMmioEmptySlot } from '../virtio/mmio-empty-slot.js';
import { VirtioBlk } from '../virtio/virtio-blk.js';
import { VirtioRng } from '../virtio/virtio-rng.js';
import { VirtioNet } from '../virtio/virtio-net.js';
import type { NetBackend } from '../virtio/net-backend.js';
import { VirtioBalloon, type VirtioBalloonOptions } from '../virtio/virtio-balloon.js';
import type { BlockDevice } from '../block/block-device.js';
import { CowOverlay } from '../block/cow-overlay.js';
import { isElf, parseElf } from './elf-loader.js';
import type { GuestImage } from './image-source.js';

export const KERNEL_OFFSET = 0x200000;
/** Guest instructions per timebase tick in deterministic mode: a nominal 100 MIPS hart at 10 MHz. */
export const INSTRUCTIONS_PER_TICK = 10;
const SLICE = 1 << 16;
const MiB = 1024 * 1024;
/**
 * Where OpenSBI's fw_jump copies the device tree before entering the kernel
 * (FW_JUMP_FDT_ADDR: firmware base + 0x2200000 on RV64, "Next Arg1" in its
 * banner), and the room kept for it (the tree is a few KiB).
 */
const FW_JUMP_FDT_OFFSET = 0x2200000;
const FW_JUMP_FDT_ROOM = 2 * MiB;

export type ClockMode = 'virtual' | 'realtime';

export interface VirtMachineConfig {
  memoryBytes?: number;
  /** Firmware loaded at 0x80000000 (OpenSBI fw_jump); null starts the kernel itself in M-mode (`-bios none`). */
  bios: GuestImage | null;
  /** An ELF (bytes only) is loaded by its segments, anything else raw. */
  kernel?: GuestImage;
  initrd?: GuestImage;
  bootargs?: string;
  /** Disk images; each gets a copy-on-write overlay so the base is never written. */
  drives?: BlockDevice[];
  rng?: boolean;
  /** Attach a virtio-net device with this backend (shorthand for one entry of `nics`). */
  net?: NetBackend;
  /** virtio-net devices in order (eth0 first), after `net` if both are given. */
  nics?: NicConfig[];
  /** Attach a virtio-balloon with free page reporting (last virtio device; default off). */
  balloon?: boolean | VirtioBalloonOptions;
  clock?: ClockMode;
  input: InputSource;
  /** Console output (UART transmit). */
  console: (byte: number) => void;
  /** Translate hot guest code (default true; false is engine 'interpreter'). */
  translate?: boolean;
  /** Execution engine (cpu/engines.ts): 'interpreter', 'js', 'wasm' or a registered tier (default DEFAULT_ENGINE: 'wasm' where it can run). */
  engine?: EngineName;
  /** Block executions before translation (default BLOCK_HOT; 0: translate everything at once). */
  hotThreshold?: number;
}

export interface NicConfig {
  backend: NetBackend;
  /** Six bytes; default 52:54:00:12:34:56 plus the NIC's index, as QEMU assigns them. */
  mac?: Uint8Array;
}

/** QEMU's default MAC for the NIC at `index`: 52:54:00:12:34:56, then :57, ... */
export function defaultMac(index: number): Uint8Array {
  return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, (0x56 + index) & 0xff);
}

export type StopReason =
  | { kind: 'limit' }
  /** The hart waits for an interrupt; `deadline` is the next timer event in ticks (Infinity: none). */
  | { kind: 'idle'; deadline: number }
  | { kind: 'poweroff' | 'reboot' | 'fail'; code: number }
  /** A debugger hook stopped the hart before an instruction (cpu/debug-hooks.ts). */
  | { kind: 'debug' };

/**
 * Sees the machine's run loop without replacing it (the recorder bounds
 * slices at its fingerprint points; a debugger or analysis tool can do the
 * same). Slices end exactly where asked, so observers never change what the
 * guest computes.
 */
export interface RunObserver {
  /** The largest next slice, given the caller's remaining `max` (at least 0). */
  sliceLimit?(machine: VirtMachine, max: number): number;
  /** The slice about to run, after every observer has bounded it. */
  beforeSlice?(machine: VirtMachine, n: number, idle: 'skip' | 'return'): void;
  /** The slice returned `stop`. */
  afterSlice?(machine: VirtMachine, stop: StopReason): void;
}

export class VirtMachine {
  readonly ram: GuestMemory;
  readonly bus: Bus;
  readonly hart: Hart;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly test: SifiveTest;
  readonly rtc: GoldfishRtc;
  readonly input: InputPort;
  readonly slots: Array<VirtioMmioTransport | VirtioMmioEmptySlot> = [];
  readonly overlays: CowOverlay[] = [];
  /** The virtio-net devices; a net input's `slot` indexes this array. */
  readonly nets: VirtioNet[] = [];
  readonly balloon: VirtioBalloon | null = null;
  readonly clockMode: ClockMode;
  readonly dtbAddress: number;
  readonly dtb: Uint8Array;
  /** Ticks added to instret-derived time: WFI skips idle time ahead. */
  private skipTicks = 0;
  private realtimeBaseNs = 0;
  finished: FinisherEvent | null = null;
  readonly clock: Clock;
  /**
   * Host milliseconds each construction step took (warm-up, RAM, hart,
   * devices, each placed image, device tree), in order: observation only, for
   * benchmarks that split the time before the first instruction.
   */
  readonly constructionMs: Record<string, number> = {};

  constructor(config: VirtMachineConfig) {
    const memoryBytes = config.memoryBytes ?? 256 * MiB;
    if (memoryBytes < 16 * MiB || memoryBytes > 2048 * MiB) throw new Error(`memory size must be between 16 MiB and 2048 MiB, got ${memoryBytes / MiB} MiB`);
    let t = performance.now();
    const step = (name: string): void => {
      const now = performance.now();
      this.constructionMs[name] = (this.constructionMs[name] ?? 0) + now - t;
      t = now;
    };
    warmUpInterpreter();
    step('warm-up');
    this.clockMode = config.clock ?? 'virtual';
    this.ram = new GuestMemory(VIRT_DRAM_BASE, memoryBytes);
    this.bus = new Bus(this.ram);
    this.input = new InputPort(config.input, () => this.landmark());
    this.clock = this.clockMode === 'virtual'
      ? { now: () => Math.floor(this.hart.instret / INSTRUCTIONS_PER_TICK) + this.skipTicks }
      : { now: () => Math.floor((this.input.hostTimeNs() - this.realtimeBaseNs) / (1e9 / TIMEBASE_HZ)) };
    if (this.clockMode === 'realtime') this.realtimeBaseNs = this.input.hostTimeNs();
    step('RAM');
    this.hart = new Hart(this.bus, this.ram, { hartId: 0, time: () => this.clint.mtime(), translate: config.translate, engine: config.engine, hotThreshold: config.hotThreshold });
    step('hart');
    this.clint = new Clint(this.clock, [this.hart]);
    this.plic = new Plic([this.hart]);
    this.uart = new Uart16550(config.console, this.plic, VIRT_UART0_IRQ);
    this.test = new SifiveTest((e) => { this.finished = e; this.hart.sliceStop = true; });
    this.rtc = new GoldfishRtc(this.clock, this.plic, VIRT_RTC_IRQ, this.input.hostTimeNs());
    this.bus.map('test', VIRT_TEST_BASE, VIRT_TEST_SIZE, this.test);
    this.bus.map('rtc', VIRT_RTC_BASE, VIRT_RTC_SIZE, this.rtc);
    this.bus.map('clint', VIRT_CLINT_BASE, VIRT_CLINT_SIZE, this.clint);
    this.bus.map('plic', VIRT_PLIC_BASE, VIRT_PLIC_SIZE, this.plic);
    this.bus.map('uart0', VIRT_UART0_BASE, VIRT_UART0_SIZE, this.uart);

    // virtio slots: disks first, then rng, then net; the rest stay empty
    const devices = [];
    for (const d of config.drives ?? []) {
      const overlay = new CowOverlay(d);
      this.overlays.push(overlay);
      devices.push(new VirtioBlk(overlay, { serial: `retrovisor-disk${this.overlays.length - 1}` }));
    }
    if (config.rng ?? true) devices.push(new VirtioRng(this.input));
    const nics: NicConfig[] = [...(config.net ? [{ backend: config.net }] : []), ...(config.nics ?? [])];
    nics.forEach((nic, i) => {
      const net = new VirtioNet(nic.backend, { mac: nic.mac ?? defaultMac(i) });
      this.nets.push(net);
      devices.push(net);
    });
    if (config.balloon) {
      // Last, so that adding it moves no other device to another slot.
      this.balloon = new VirtioBalloon(config.balloon === true ? {} : config.balloon);
      devices.push(this.balloon);
    }
    if (devices.length > VIRT_VIRTIO_COUNT) throw new Error(`at most ${VIRT_VIRTIO_COUNT} virtio devices`);
    // QEMU fills the highest slot first (Linux enumerates it first, so the first disk is vda)
    for (let i = 0; i < VIRT_VIRTIO_COUNT; i++) {
      const dev = devices[VIRT_VIRTIO_COUNT - 1 - i];
      const slot = dev ? new VirtioMmioTransport(dev, this.ram, this.plic, VIRT_VIRTIO_IRQ + i) : new VirtioMmioEmptySlot();
      this.slots.push(slot);
      this.bus.map(`virtio${i}`, virtioSlotBase(i), VIRT_VIRTIO_SIZE, slot);
    }

    step('devices');

    // load images the way QEMU does
    const ramEnd = VIRT_DRAM_BASE + memoryBytes;
    let kernelEntry = VIRT_DRAM_BASE;
    let startPc = VIRT_DRAM_BASE;
    let kernelEnd = VIRT_DRAM_BASE;
    if (config.bios) {
      this.place(VIRT_DRAM_BASE, config.bios, 'firmware');
      kernelEntry = VIRT_DRAM_BASE + KERNEL_OFFSET;
      step('firmware');
    }
    if (config.kernel) {
      const base = config.bios ? VIRT_DRAM_BASE + KERNEL_OFFSET : VIRT_DRAM_BASE;
      if (config.kernel instanceof Uint8Array && isElf(config.kernel)) {
        const elf = parseElf(config.kernel);
        for (const s of elf.segments) {
          this.place(s.paddr, s.data, 'kernel segment');
          kernelEnd = Math.max(kernelEnd, s.paddr + s.memsz);
        }
        kernelEntry = elf.entry;
      } else {
        this.place(base, config.kernel, 'kernel');
        kernelEntry = base;
        kernelEnd = base + config.kernel.length;
      }
      if (!config.bios) startPc = kernelEntry;
      step('kernel');
    } else if (!config.bios) throw new Error('-bios none needs a -kernel');
    let initrd: { start: number; end: number } | undefined;
    if (config.initrd) {
      // QEMU: far enough above the kernel that unpacking it cannot clobber the initrd
      let start = Math.max(kernelEntry + Math.min(memoryBytes / 2, 128 * MiB), kernelEnd);
      // Unlike QEMU 7.2: stay clear of where fw_jump puts the device tree. With 64 MiB of RAM QEMU's
      // rule lands the initrd exactly there, the firmware overwrites its start with the tree, and
      // Linux says "Initramfs unpacking failed: invalid magic" (QEMU too). Sizes where the two never
      // meet (the default 256 MiB among them) keep QEMU's placement, so their machines are unchanged.
      if (config.bios) {
        const fdt = VIRT_DRAM_BASE + FW_JUMP_FDT_OFFSET;
        if (start < fdt + FW_JUMP_FDT_ROOM && start + config.initrd.length > fdt) start = fdt + FW_JUMP_FDT_ROOM;
      }
      const aligned = Math.ceil(start / 4096) * 4096;
      this.place(aligned, config.initrd, 'initrd');
      initrd = { start: aligned, end: aligned + config.initrd.length };
      step('initrd');
    }
    this.dtb = buildVirtDeviceTree({ memoryBytes, bootargs: config.bootargs, initrd });
    this.dtbAddress = Math.floor((Math.min(ramEnd, 3072 * MiB) - this.dtb.length) / (2 * MiB)) * 2 * MiB;
    this.place(this.dtbAddress, this.dtb, 'device tree');
    step('device tree');

    // what QEMU's reset vector does: a0 = hartid, a1 = dtb, jump to RAM
    this.hart.reset(startPc);
    this.hart.xLo[10] = 0;
    this.hart.xLo[11] = this.dtbAddress | 0;
    this.hart.xHi[11] = 0;
    this.ram.clearDirty();
    step('reset');
  }

  /** The first virtio-net device (eth0), or null. */
  get net(): VirtioNet | null {
    return this.nets[0] ?? null;
  }

  private place(pa: number, data: GuestImage, what: string): void {
    if (!this.ram.contains(pa, data.length)) throw new Error(`${what} (${data.length} bytes at 0x${pa.toString(16)}) does not fit in RAM`);
    const o = pa - this.ram.base;
    if (data instanceof Uint8Array) this.ram.u8.set(data, o);
    else data.readInto(this.ram.u8.subarray(o, o + data.length));
  }

  /** Guest time in ticks. */
  now(): number {
    return this.clock.now();
  }

  get instret(): number {
    return this.hart.instret;
  }

  /** Where the machine is, as replay names a point in a run: instructions retired and the low 32 bits of pc. */
  landmark(): Landmark {
    return { instret: this.hart.instret, pc: this.hart.pcLo >>> 0 };
  }

  /** Replaces the source of nondeterministic inputs (a replayer feeds recorded ones). */
  setInputSource(source: InputSource): void {
    this.input.setSource(source);
  }

  private readonly observers: RunObserver[] = [];

  /**
   * Attaches analysis instrumentation to the hart and the RAM's device
   * accesses (null detaches); see cpu/instrumentation.ts. Only observes:
   * the guest computes the same with or without it.
   */
  instrument(instr: Instrumentation | null): void {
    this.hart.instrument(instr);
    const dma = instr?.dma;
    this.ram.dmaHook = dma ? (pa, len, write) => dma.call(instr, pa, len, write) : null;
  }

  /** Adds a run-loop observer; returns the function that removes it. */
  observe(observer: RunObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  private apply = (input: AsyncInput): void => {
    if (input.kind === 'console') this.uart.receive(input.data);
    else if (input.kind === 'net-rx') this.nets[input.slot]?.receive(input.frame);
    else if (input.kind === 'net-link') this.nets[input.slot]?.setLink(input.up);
    else this.discardRuns(input.runs);
  };

  private discardRuns(runs: Uint32Array): void {
    const ram = this.ram;
    for (let i = 0; i + 1 < runs.length; i += 2) {
      // a run outside RAM is ignored, never partly applied (a replay log is untrusted input)
      if (runs[i] + runs[i + 1] <= ram.pages) ram.discard(ram.base + runs[i] * PAGE_SIZE, runs[i + 1] * PAGE_SIZE);
    }
  }

  /**
   * Applies the asynchronous inputs posted so far now, between runs, instead
   * of at the top of the next run (a checkpoint's discard must be in RAM
   * before the checkpoint reads it). The tap sees them at this landmark.
   */
  applyInputs(): void {
    if (this.input.hasPending) this.input.drain(this.apply);
  }

  /**
   * Runs until `maxInstructions` more have retired or the guest powers off.
   * When the hart waits for an interrupt: with `idle: 'skip'` (the default)
   * guest time jumps to the next timer deadline; with `idle: 'return'` the
   * caller gets control (to pace guest time against the host clock or wait for
   * input) and resumes with `skipTo`. With no deadline at all, run returns idle.
   */
  run(maxInstructions: number, idle: 'skip' | 'return' = 'skip'): StopReason {
    const observers = this.observers;
    if (observers.length === 0) return this.runSlice(maxInstructions, idle);
    const end = this.hart.instret + maxInstructions;
    for (;;) {
      let n = end - this.hart.instret;
      for (const o of observers) if (o.sliceLimit) n = Math.max(0, Math.min(n, o.sliceLimit(this, n)));
      for (const o of observers) o.beforeSlice?.(this, n, idle);
      const r = this.runSlice(n, idle);
      for (const o of observers) o.afterSlice?.(this, r);
      if (r.kind !== 'limit' || this.hart.instret >= end) return r;
    }
  }

  private runSlice(maxInstructions: number, idle: 'skip' | 'return'): StopReason {
    const hart = this.hart;
    const end = hart.instret + maxInstructions;
    while (hart.instret < end) {
      if (this.finished) return { kind: this.finished.kind, code: this.finished.code };
      if (this.input.hasPending) this.input.drain(this.apply);
      this.clint.update();
      this.rtc.update();
      if (hart.waiting) {
        if (hart.interruptPending()) hart.waiting = false;
        else {
          const deadline = this.nextDeadline();
          if (deadline === Infinity || this.clockMode === 'realtime' || idle === 'return') return { kind: 'idle', deadline };
          this.skipTo(deadline);
          continue;
        }
      }
      hart.checkInterrupts();
      let n = Math.min(SLICE, end - hart.instret);
      if (this.clockMode === 'virtual') {
        const deadline = this.nextDeadline();
        if (deadline !== Infinity) {
          const at = (deadline - this.skipTicks) * INSTRUCTIONS_PER_TICK;
          const until = at - hart.instret;
          if (until > 0 && until < n) n = until;
        }
      }
      hart.run(n);
      if (hart.debugStopped) {
        hart.debugStopped = false;
        return { kind: 'debug' };
      }
    }
    if (this.finished) return { kind: this.finished.kind, code: this.finished.code };
    return { kind: 'limit' };
  }

  /** Advances deterministic guest time to `ticks` (never backwards): what WFI does when idle. */
  skipTo(ticks: number): void {
    if (this.clockMode !== 'virtual') return;
    const now = this.clock.now();
    if (ticks > now) this.skipTicks += ticks - now;
  }

  nextDeadline(): number {
    return Math.min(this.clint.nextDeadline(), this.rtc.nextDeadline());
  }

  // ---------------------------------------------------------------- state

  /**
   * Device and CPU state. RAM is never in it (the encoding layer captures RAM
   * pages); disk overlay contents are, unless `diskContents: false`.
   */
  saveState(options: SaveOptions = {}): StateRecord {
    const rec: { [key: string]: StateValue } = { ...this.boardState() };
    for (const { name, state } of this.componentStates(options)) if (name !== 'board') rec[name] = state as unknown as StateValue;
    return rec as unknown as StateRecord;
  }

  /** The board's own fields (everything in saveState that is not a component's). */
  private boardState(): StateRecord {
    return {
      version: 1,
      memoryBytes: this.ram.size,
      clockMode: this.clockMode,
      skipTicks: this.skipTicks,
      realtimeBaseNs: this.realtimeBaseNs,
      finished: this.finished ? { kind: this.finished.kind, code: this.finished.code } : null,
    };
  }

  /**
   * Each component's state under its name ('board' first, then hart, clint,
   * plic, uart, test, rtc, slots). Fingerprints use this to name the
   * component that differs without knowing the record's keys.
   */
  componentStates(options: SaveOptions = {}): Array<{ readonly name: string; readonly state: StateRecord | StateRecord[] }> {
    return [
      { name: 'board', state: this.boardState() },
      { name: 'hart', state: this.hart.saveState() },
      { name: 'clint', state: this.clint.saveState() },
      { name: 'plic', state: this.plic.saveState() },
      { name: 'uart', state: this.uart.saveState() },
      { name: 'test', state: this.test.saveState() },
      { name: 'rtc', state: this.rtc.saveState() },
      { name: 'slots', state: this.slots.map((s) => s.saveState(options)) },
    ];
  }

  loadState(rec: StateRecord): void {
    expectVersion(rec, 'virt machine', 1);
    if (rec.memoryBytes !== this.ram.size) throw new Error(`virt machine: state is for ${rec.memoryBytes} bytes of RAM, machine has ${this.ram.size}`);
    if (rec.clockMode !== this.clockMode) throw new Error(`virt machine: state was saved with the ${String(rec.clockMode)} clock, this machine uses the ${this.clockMode} clock`);
    const slots = rec.slots as StateRecord[];
    if (!Array.isArray(slots) || slots.length !== this.slots.length) throw new Error('virt machine: virtio slot count differs');
    this.skipTicks = rec.skipTicks as number;
    this.realtimeBaseNs = rec.realtimeBaseNs as number;
    const f = rec.finished as { kind: FinisherEvent['kind']; code: number } | null;
    this.finished = f ? { kind: f.kind, code: f.code } : null;
    this.hart.loadState(rec.hart as StateRecord);
    this.clint.loadState(rec.clint as StateRecord);
    this.plic.loadState(rec.plic as StateRecord);
    this.uart.loadState(rec.uart as StateRecord);
    this.test.loadState(rec.test as StateRecord);
    this.rtc.loadState(rec.rtc as StateRecord);
    slots.forEach((s, i) => this.slots[i].loadState(s));
  }
}
