#include "CSHA256.h"

#if defined(__x86_64__) && defined(__clang__)
#include <cpuid.h>
#include <immintrin.h>

/* 1 when the CPU has SHA, SSE4.1 and SSSE3. */
int harvest_sha256_hw_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int sse = (c & (1u << 19)) && (c & (1u << 9));
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return sse && (b & (1u << 29)) ? 1 : 0;
}

/* Compresses `blocks` 64-byte blocks of `data` into `state` (a, b, c, d, e, f, g, h). */
__attribute__((target("sha,sse4.1,ssse3")))
void harvest_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    static const uint32_t k[64] __attribute__((aligned(16))) = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);            /* EFGH */
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);    /* ABEF */
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);         /* CDGH */
#define HARVEST_SHA_ROUNDS(cur, ki) do { \
        __m128i msg_ = _mm_add_epi32(cur, _mm_load_si128((const __m128i *)&k[ki])); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, msg_); \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg_, 0x0E)); \
    } while (0)
#define HARVEST_SHA_NEXT(cur, next, prev) \
    next = _mm_sha256msg2_epu32(_mm_add_epi32(next, _mm_alignr_epi8(cur, prev, 4)), cur)
#define HARVEST_SHA_STEP(cur, next, prev, ki) do { \
        HARVEST_SHA_ROUNDS(cur, ki); HARVEST_SHA_NEXT(cur, next, prev); prev = _mm_sha256msg1_epu32(prev, cur); \
    } while (0)
    while (blocks--) {
        const __m128i abef = s0, cdgh = s1;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), mask);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), mask);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), mask);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), mask);
        HARVEST_SHA_ROUNDS(m0, 0);
        HARVEST_SHA_ROUNDS(m1, 4);  m0 = _mm_sha256msg1_epu32(m0, m1);
        HARVEST_SHA_ROUNDS(m2, 8);  m1 = _mm_sha256msg1_epu32(m1, m2);
        HARVEST_SHA_STEP(m3, m0, m2, 12);
        HARVEST_SHA_STEP(m0, m1, m3, 16);
        HARVEST_SHA_STEP(m1, m2, m0, 20);
        HARVEST_SHA_STEP(m2, m3, m1, 24);
        HARVEST_SHA_STEP(m3, m0, m2, 28);
        HARVEST_SHA_STEP(m0, m1, m3, 32);
        HARVEST_SHA_STEP(m1, m2, m0, 36);
        HARVEST_SHA_STEP(m2, m3, m1, 40);
        HARVEST_SHA_STEP(m3, m0, m2, 44);
        HARVEST_SHA_STEP(m0, m1, m3, 48);
        HARVEST_SHA_ROUNDS(m1, 52); HARVEST_SHA_NEXT(m1, m2, m0);
        HARVEST_SHA_ROUNDS(m2, 56); HARVEST_SHA_NEXT(m2, m3, m1);
        HARVEST_SHA_ROUNDS(m3, 60);
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
        data += 64;
    }
#undef HARVEST_SHA_STEP
#undef HARVEST_SHA_NEXT
#undef HARVEST_SHA_ROUNDS
    tmp = _mm_shuffle_epi32(s0, 0x1B);           /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);            /* DCHG */
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);         /* DCBA */
    s1 = _mm_alignr_epi8(s1, tmp, 8);            /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}
#else
int harvest_sha256_hw_available(void) { return 0; }
void harvest_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
}
#endif
