/*
 * memtouch [MIB] [RATE] [SECONDS]
 *
 * Dirties pages of a MIB MiB buffer (default 16) at RATE MiB/s (default 8;
 * 0 = as fast as possible) for SECONDS seconds (default 10; 0 = forever),
 * cycling through the buffer. Used to exercise dirty-page tracking, so each
 * touch writes one 8-byte word per 4 KiB page; the values are deterministic.
 * Prints a progress line once per second of guest time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096u
#define SLICE_NS 10000000ull /* pace in 10 ms slices */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	uint64_t n = now_ns();
	if (t <= n)
		return;
	struct timespec d = { (time_t)((t - n) / 1000000000ull), (long)((t - n) % 1000000000ull) };
	nanosleep(&d, NULL);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 16;
	uint64_t rate = argc > 2 ? strtoull(argv[2], NULL, 0) : 8;
	uint64_t secs = argc > 3 ? strtoull(argv[3], NULL, 0) : 10;
	if (mib == 0) {
		fprintf(stderr, "memtouch: MIB must be > 0\n");
		return 2;
	}
	size_t pages = (size_t)(mib * 1024 * 1024 / PAGE);
	uint8_t *buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("memtouch: mmap");
		return 1;
	}
	printf("memtouch: %llu MiB, %llu MiB/s, %llus\n", (unsigned long long)mib,
	       (unsigned long long)rate, (unsigned long long)secs);
	fflush(stdout);

	uint64_t start = now_ns(), next_report = start + 1000000000ull;
	uint64_t end = secs ? start + secs * 1000000000ull : UINT64_MAX;
	uint64_t touched = 0, seq = 0;
	size_t page = 0;
	for (;;) {
		uint64_t t = now_ns();
		if (t >= end)
			break;
		/* pages owed so far at the requested rate; unthrottled: one slice's worth */
		uint64_t due = rate ? (t - start + SLICE_NS) / 1000 * rate * (1024 * 1024 / PAGE) / 1000000 : touched + 2560;
		while (touched < due) {
			uint64_t *w = (uint64_t *)(buf + page * PAGE + ((seq * 64) & (PAGE - 1)));
			*w = seq * 0x9E3779B97F4A7C15ull;
			seq++;
			touched++;
			if (++page == pages)
				page = 0;
		}
		if (t >= next_report) {
			printf("memtouch: t=%llus dirtied=%llu MiB\n",
			       (unsigned long long)((t - start) / 1000000000ull),
			       (unsigned long long)(touched * PAGE / (1024 * 1024)));
			fflush(stdout);
			next_report += 1000000000ull;
		}
		if (rate)
			sleep_until(t - (t - start) % SLICE_NS + SLICE_NS);
	}
	printf("memtouch: done dirtied=%llu MiB in %.2fs\n",
	       (unsigned long long)(touched * PAGE / (1024 * 1024)), (now_ns() - start) / 1e9);
	return 0;
}
