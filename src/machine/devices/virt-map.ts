/**
 * Memory map and interrupt numbers of the virt board, as QEMU 7.2 lays it out.
 * The device tree and the board both read from here so they cannot disagree.
 */
export const VIRT_TEST_BASE = 0x100000;
export const VIRT_TEST_SIZE = 0x1000;
export const VIRT_RTC_BASE = 0x101000;
export const VIRT_RTC_SIZE = 0x1000;
export const VIRT_CLINT_BASE = 0x2000000;
export const VIRT_CLINT_SIZE = 0x10000;
export const VIRT_PLIC_BASE = 0xc000000;
export const VIRT_PLIC_SIZE = 0x600000;
export const VIRT_UART0_BASE = 0x10000000;
export const VIRT_UART0_SIZE = 0x100;
export const VIRT_VIRTIO_BASE = 0x10001000;
export const VIRT_VIRTIO_SIZE = 0x1000;
export const VIRT_VIRTIO_COUNT = 8;
export const VIRT_DRAM_BASE = 0x80000000;

export const VIRT_UART0_IRQ = 10;
export const VIRT_RTC_IRQ = 11;
/** virtio-mmio slot i (0-based, at VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE) uses IRQ 1 + i. */
export const VIRT_VIRTIO_IRQ = 1;

/** PLIC interrupt sources are 1..VIRT_PLIC_NDEV (0 means "no interrupt"). */
export const VIRT_PLIC_NDEV = 95;

/** UART input clock as QEMU advertises it (1.8432 MHz * 2). */
export const VIRT_UART_CLOCK_HZ = 3686400;

export function virtioSlotBase(slot: number): number {
  return VIRT_VIRTIO_BASE + slot * VIRT_VIRTIO_SIZE;
}
