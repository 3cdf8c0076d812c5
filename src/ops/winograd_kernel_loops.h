/* The loops of a Winograd kernel transform, one copy per tile size:
 * winograd_f4x4.c and winograd_f2x2.c each define WINO_POSITIONS and
 * kernel_columns (the transform of one input channel's columns, written
 * at a stride of `packed` floats per position) and then include this
 * file, which defines kernel_rows and kernel_panels for their
 * us_wino_transforms (winograd.h). Included only there. */

US_VECTOR_CLONES static void kernel_rows(const float *g0, int64_t plane, int64_t ld,
                                         int64_t rows, int64_t cols, float *restrict u0,
                                         int64_t packed, int64_t width) {
    /* a whole 16-column panel: a constant trip count, so the loop over
     * columns compiles to straight vector code (no set-up per row) */
    if (cols == 16)
        for (int64_t r = 0; r < rows; r++) kernel_columns(g0 + r * ld, plane, 16, u0 + r * width, packed);
    else
        for (int64_t r = 0; r < rows; r++) kernel_columns(g0 + r * ld, plane, cols, u0 + r * width, packed);
}

/* Input channels transformed at a time into an L1 buffer. */
#define WINO_BAND_ROWS 8

/* `n` input channels of one panel to dst, a position every `packed`
 * floats. Through buf (WINO_BAND_ROWS x 16 floats a position) when
 * `buffered`, then out in bursts of n lines per position: a whole kernel's
 * planes lie a power of two apart and share cache sets, and writing each
 * transformed element in place sent 16 or 36 streams of single lines to
 * them, which evicted one another. Planes padded off that (a block
 * transformed on the call, US_WINO_PLANE_PAD) are written in place: the
 * copy through buf cost more than the transform (one Zen 5 core,
 * bench_conv's F(4x4) 256 -> 256 at 16x16 with the kernel transformed on
 * the call, best of 8 interleaved runs: 0.748 -> 0.698 ms). */
static inline __attribute__((always_inline)) void kernel_band_rows(const float *g, int64_t plane,
                                                                   int64_t ld, int64_t n,
                                                                   float *restrict buf,
                                                                   float *restrict dst,
                                                                   int64_t packed, int buffered) {
    if (!buffered) {
        for (int64_t r = 0; r < n; r++) kernel_columns(g + r * ld, plane, 16, dst + r * 16, packed);
        return;
    }
    for (int64_t r = 0; r < n; r++) kernel_columns(g + r * ld, plane, 16, buf + r * 16, WINO_BAND_ROWS * 16);
    for (int p = 0; p < WINO_POSITIONS; p++)
        for (int64_t r = 0; r < n; r++) {
            const float *src = buf + (p * WINO_BAND_ROWS + r) * 16;
            float *out = dst + p * packed + r * 16;
#pragma GCC unroll 16
            for (int q = 0; q < 16; q++) out[q] = src[q];
        }
}

/* Whole 16-column panels [0, panels) of input channels [0, rows):
 * u0[panel * panel_stride + p * packed + r * 16 + q] = (G g G^T)[p] of
 * column 16 panel + q of row r, whose taps are g0[tap * plane + r * ld +
 * 16 panel + q]. Input channels outer and panels inner: each tap's row is
 * read across all the panels at once, where panel by panel a 16-column row
 * was a line per page (the hardware prefetcher stops at page ends):
 * reading 512 x 512 x 9 taps 16 columns at a time ran at 9.7 GB/s, 64 at
 * a time at 20, 512 at 30 (Zen 5). One call for a whole band: its set-up
 * cost more than the arithmetic when made per panel and 8 rows. */
US_VECTOR_CLONES static void kernel_panels(const float *g0, int64_t plane, int64_t ld,
                                           int64_t rows, int64_t panels, float *restrict u0,
                                           int64_t panel_stride, int64_t packed) {
    float buf[WINO_POSITIONS * WINO_BAND_ROWS * 16];
    /* planes a multiple of 4 KB apart map to the same L1 sets */
    const int buffered = (packed * (int64_t)sizeof(float)) % 4096 == 0;
    for (int64_t r0 = 0; r0 < rows; r0 += WINO_BAND_ROWS)
        for (int64_t panel = 0; panel < panels; panel++) {
            const float *g = g0 + r0 * ld + panel * 16;
            float *dst = u0 + panel * panel_stride + r0 * 16;
            if (rows - r0 >= WINO_BAND_ROWS) /* a constant count: straight code */
                kernel_band_rows(g, plane, ld, WINO_BAND_ROWS, buf, dst, packed, buffered);
            else
                kernel_band_rows(g, plane, ld, rows - r0, buf, dst, packed, buffered);
        }
}
