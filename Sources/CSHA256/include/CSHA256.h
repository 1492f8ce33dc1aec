#ifndef HARVEST_CSHA256_H
#define HARVEST_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 block compression with the x86 SHA extensions, for hashing at disk speed.
 * HarvestCrypto calls harvest_sha256_hw_available() once and falls back to its portable Swift
 * implementation when it returns 0 (other CPUs, other architectures, other compilers).
 */

/* 1 when the CPU has SHA, SSE4.1 and SSSE3 and this build can use them; 0 otherwise. */
int harvest_sha256_hw_available(void);

/* Compresses `blocks` 64-byte blocks of `data` into `state` (a, b, c, d, e, f, g, h).
 * Only call when harvest_sha256_hw_available() returned 1. */
void harvest_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
