/*
 * A small bare-metal program for the debugger tests: named functions and
 * variables, a loop that calls a function and writes a global on every
 * iteration, and a mode that spins (for Ctrl-C).
 */
#define UART ((volatile unsigned char *)0x10000000)

volatile unsigned long counter;      /* written by record() on every iteration */
unsigned long history[16];
volatile int forever;                /* set by the debugger: spin instead of finishing */
unsigned long result;

static void put(const char *s) {
  while (*s) {
    while ((UART[5] & 0x20) == 0) {}
    UART[0] = *s++;
  }
}

__attribute__((noinline)) unsigned long step(unsigned long x) {
  return x * 3 + 1;
}

__attribute__((noinline)) void record(unsigned long v) {
  history[v & 15] = v;
  counter = v;
}

int main(void) {
  unsigned long x = 1;
  put("debuggee start\n");
  for (unsigned long i = 0; i < 3000; i++) {
    x = step(x) ^ i;
    record(x);
  }
  while (forever) counter++;
  result = x;
  put("debuggee done\n");
  return 0;
}
