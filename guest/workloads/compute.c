/*
 * compute [ITERATIONS] [KIB]
 *
 * CPU-bound and deterministic: each iteration generates KIB KiB (default 64)
 * of text-like data from a fixed seed, compresses it with a small LZ77,
 * decompresses and checks the round trip, and hashes the compressed bytes
 * (FNV-1a 64). ITERATIONS defaults to 16. The final checksum depends only
 * on the arguments, so it can be compared across machines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 32768u
#define MIN_MATCH 4u
#define MAX_MATCH (MIN_MATCH + 255u)
#define HASH_BITS 12

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const words[] = {
	"the", "machine", "replay", "snapshot", "page", "dirty", "guest", "kernel",
	"risc", "five", "record", "clock", "device", "memory", "virtio", "block",
	"a", "of", "and", "to", "in", "is", "for", "on", "with", "as", "by", "at",
	"deterministic", "checkpoint", "instruction", "interrupt",
};

static void generate(uint8_t *out, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t r = next();
		char tmp[24];
		const char *w;
		size_t len;
		if ((r & 15) == 0) {
			len = (size_t)snprintf(tmp, sizeof tmp, "%u", (unsigned)(r >> 40) % 100000u);
			w = tmp;
		} else {
			w = words[(r >> 8) % (sizeof words / sizeof words[0])];
			len = strlen(w);
		}
		for (size_t k = 0; k < len && i < n; k++)
			out[i++] = (uint8_t)w[k];
		if (i < n)
			out[i++] = (r >> 20) % 11 == 0 ? '\n' : ' ';
	}
}

static inline uint32_t hash4(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* LZSS: a flag byte per 8 items; item = literal byte or (offset16, len-4). */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out)
{
	static int32_t head[1 << HASH_BITS];
	memset(head, 0xff, sizeof head);
	size_t i = 0, o = 0, flag_pos = 0;
	unsigned item = 8;
	while (i < n) {
		if (item == 8) {
			flag_pos = o++;
			out[flag_pos] = 0;
			item = 0;
		}
		size_t best = 0, best_off = 0;
		if (i + MIN_MATCH <= n) {
			uint32_t h = hash4(in + i);
			int32_t cand = head[h];
			head[h] = (int32_t)i;
			if (cand >= 0 && i - (size_t)cand <= WINDOW - 1) {
				size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH, l = 0;
				while (l < max && in[(size_t)cand + l] == in[i + l])
					l++;
				if (l >= MIN_MATCH) {
					best = l;
					best_off = i - (size_t)cand;
				}
			}
		}
		if (best) {
			out[flag_pos] |= (uint8_t)(1u << item);
			out[o++] = (uint8_t)best_off;
			out[o++] = (uint8_t)(best_off >> 8);
			out[o++] = (uint8_t)(best - MIN_MATCH);
			for (size_t k = 1; k < best && i + k + MIN_MATCH <= n; k++)
				head[hash4(in + i + k)] = (int32_t)(i + k);
			i += best;
		} else {
			out[o++] = in[i++];
		}
		item++;
	}
	return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint8_t flags = in[i++];
		for (unsigned item = 0; item < 8 && i < n; item++) {
			if (flags & (1u << item)) {
				if (i + 3 > n)
					return (size_t)-1;
				size_t off = (size_t)in[i] | (size_t)in[i + 1] << 8, len = in[i + 2] + MIN_MATCH;
				i += 3;
				if (off == 0 || off > o || o + len > cap)
					return (size_t)-1;
				for (size_t k = 0; k < len; k++, o++)
					out[o] = out[o - off];
			} else {
				if (o >= cap)
					return (size_t)-1;
				out[o++] = in[i++];
			}
		}
	}
	return o;
}

static uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	unsigned long kib = argc > 2 ? strtoul(argv[2], NULL, 0) : 64;
	size_t n = (size_t)kib * 1024;
	uint8_t *data = malloc(n), *packed = malloc(n + n / 8 + 16), *back = malloc(n);
	if (!data || !packed || !back || n == 0) {
		fprintf(stderr, "compute: bad size or out of memory\n");
		return 2;
	}
	uint64_t sum = 0xcbf29ce484222325ull;
	printf("compute: %lu iterations of %lu KiB\n", iters, kib);
	for (unsigned long it = 0; it < iters; it++) {
		rng = 0x9E3779B97F4A7C15ull ^ (it * 0xD1B54A32D192ED03ull + 1);
		generate(data, n);
		size_t c = compress(data, n, packed);
		if (decompress(packed, c, back, n) != n || memcmp(data, back, n) != 0) {
			printf("compute: round trip FAILED at iteration %lu\n", it);
			return 1;
		}
		uint64_t h = fnv1a(packed, c, 0xcbf29ce484222325ull);
		sum = (sum ^ h) * 0x100000001b3ull;
		printf("compute: iter %lu in=%zu out=%zu hash=%016llx\n", it, n, c, (unsigned long long)h);
	}
	printf("compute: checksum=%016llx\n", (unsigned long long)sum);
	return 0;
}
