/* Conv2D 3x3 stride 1 by Winograd F(m x m, 3x3) (Lavin & Gray 2015), m = 4
 * or 2 (the transforms: winograd.h). The element-wise product over the
 * transformed positions becomes one GEMM per position,
 * (tiles x cin) . (cin x cout).
 * Chunks of tiles are independent, so threads take whole chunks; chunk
 * boundaries depend on the shape only, so results never depend on the
 * thread count. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/simd.h"
#include "ops/gemm_tile.h"
#include "ops/ops.h"
#include "ops/winograd.h"

/* Tiles per chunk: V and M hold positions x tiles x channels floats each
 * (about 1 MB: the working set of one chunk stays in L2). */
#define US_WINO_TARGET_FLOATS ((int64_t)1 << 18)
/* ... but never fewer than 64 tiles: every chunk reads all of U (positions
 * x cin x cout), and for deep layers U is megabytes that only enough tiles
 * per chunk amortise (decoder0a, 768 -> 256 channels at 16x16 by F(2x2):
 * 4.4 ms in chunks of 16 tiles, 2.x ms in one of 64). */
#define US_WINO_MIN_CHUNK 64
/* ... except to give each thread a chunk of its own (below). */
#define US_WINO_MIN_THREAD_CHUNK 16

const us_wino_transforms *us_wino_for_tile(int m) {
    return m == 4 ? &us_wino_f4x4 : m == 2 ? &us_wino_f2x2 : NULL;
}

int64_t us_winograd_tiles(const us_conv_geom *g, int tile) {
    return g->n * ((g->ho + tile - 1) / tile) * ((g->wo + tile - 1) / tile);
}

/* The planes U[p] (cin x cout each), each packed for us_sgemm_packed. */
int64_t us_winograd_kernel_floats(int tile, int64_t cin, int64_t cout) {
    const us_wino_transforms *w = us_wino_for_tile(tile);
    return w ? w->positions * us_gemm_packed_floats(cin, cout) : 0;
}

typedef struct kernel_job {
    const us_wino_transforms *w;
    const float *kernel; /* HWIO, at the first input and output channels of the job */
    float *u;
    int64_t cin, cols, ld; /* input channels [0, cin), output channels [0, cols), of
                              an HWIO kernel of ld output channels */
    int64_t plane;         /* floats from one tap to the next */
    int64_t width, panels, packed; /* U[p] packed in panels of `width` columns */
} kernel_job;

#define US_WINO_PANEL 16

/* U[p] = (G g G^T)[p] for every position p, each a cin x cols matrix; g is
 * the HWIO kernel. U is written straight in the GEMM's packed layout
 * (us_gemm_pack_width): panels [lo, hi). */
static void kernel_band(void *arg, int64_t lo, int64_t hi) {
    const kernel_job *j = arg;
    const int64_t width = j->width, packed = j->packed, cin = j->cin, ld = j->ld;
    const int positions = j->w->positions;
    /* whole 16-column panels [lo, full) in one call (kernel_panels) */
    const int64_t whole = width == US_WINO_PANEL ? j->cols / width : 0;
    const int64_t full = whole < lo ? lo : whole > hi ? hi : whole;
    if (full > lo)
        j->w->kernel_panels(j->kernel + lo * width, j->plane, ld, cin, full - lo,
                            j->u + lo * width * cin, width * cin, packed);
    for (int64_t panel = full; panel < hi; panel++) { /* a partial panel, or OpenBLAS's dense one */
        const int64_t col0 = panel * width;
        const int64_t cols = j->cols - col0 < width ? j->cols - col0 : width;
        float *u0 = j->u + col0 * cin;
        j->w->kernel_rows(j->kernel + col0, j->plane, ld, cin, cols, u0, packed, width);
        for (int p = 0; cols < width && p < positions; p++) /* a last panel's missing columns are zeros */
            for (int64_t ci = 0; ci < cin; ci++)
                memset(u0 + p * packed + ci * width + cols, 0, (size_t)(width - cols) * sizeof(float));
    }
}

/* The job of input channels [k0, k0 + rows) and output channels [c0, c0 +
 * cols) of a cin x cout kernel, packed as a rows x cols matrix per
 * position. */
static kernel_job kernel_job_of(const us_wino_transforms *w, const float *kernel, int64_t cin,
                                int64_t cout, int64_t k0, int64_t rows, int64_t c0, int64_t cols,
                                float *u) {
    const int64_t width = us_gemm_pack_width(cols);
    return (kernel_job){w, kernel + k0 * cout + c0, u, rows, cols, cout, cin * cout, width,
                        (cols + width - 1) / width, us_gemm_packed_floats(rows, cols)};
}

void us_winograd_transform_kernel(int tile, const float *kernel, int64_t cin, int64_t cout,
                                  float *u) {
    const us_wino_transforms *w = us_wino_for_tile(tile);
    kernel_job j = kernel_job_of(w, kernel, cin, cout, 0, cin, 0, cout, u);
    us_parallel_rows(j.panels, (9 + w->positions) * j.width * cin, kernel_band, &j);
}

/* y += v (an accumulating epilogue: gradients). */
US_VECTOR_CLONES static void add_row(float *restrict y, const float *restrict v, int64_t n) {
    for (int64_t k = 0; k < n; k++) y[k] += v[k];
}

typedef struct wino_job {
    const us_conv_geom *g;
    const us_wino_transforms *w;
    const us_conv_source *sources; /* the input's parts, channels side by side */
    int32_t n_sources;
    const float *u, *bias, *zeros;
    const float *kernel; /* fused (else NULL): U is transformed group by group from it */
    const us_conv_epilogue *ep;
    float *y;
    int64_t tiles_w, tiles_hw, total, chunk;
    _Atomic int32_t failed; /* a part could not allocate its buffers (parts run at once) */
    us_share chunks; /* each part's own chunks first, then any left */
} wino_job;

/* V[t][p] = (B^T d B)[p] for the input tile of tile t (from
 * (m ty - pad_top, m tx - pad_left)), each a cin vector. A tile's vectors
 * are contiguous (one write stream, not one per position); the GEMM of
 * position p reads rows t of V at a stride of positions x cin (it packs
 * them anyway), and writes M in the same layout. Each source fills its
 * channels of the vectors, from its own pixels (a nearest upsampling's
 * pixel (ih, iw) is its input's (ih / up_h, iw / up_w)). */
static void transform_input(const wino_job *j, int64_t t0, int64_t tiles, float *v) {
    const us_conv_geom *g = j->g;
    const int64_t cin = g->cin;
    const int m = j->w->m, side = j->w->side, positions = j->w->positions;
    const float *d[36];
    int64_t row[6], col[6]; /* a part's pixel row (image-wide) and column per tile row and column, or -1 */
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / j->tiles_hw;
        int64_t ty = (tile % j->tiles_hw) / j->tiles_w, tx = tile % j->tiles_w;
        int64_t c0 = 0;
        for (int32_t s = 0; s < j->n_sources; s++) {
            const us_conv_source *src = &j->sources[s];
            const int64_t sh = g->h / src->up_h, sw = g->w / src->up_w;
            for (int i = 0; i < side; i++) {
                const int64_t ih = m * ty - g->pad_top + i, iw = m * tx - g->pad_left + i;
                row[i] = ih < 0 || ih >= g->h ? -1 : b * sh + (src->up_h == 1 ? ih : ih / src->up_h);
                col[i] = iw < 0 || iw >= g->w ? -1 : src->up_w == 1 ? iw : iw / src->up_w;
            }
            for (int i = 0; i < side; i++)
                for (int k = 0; k < side; k++)
                    d[i * side + k] = row[i] < 0 || col[k] < 0
                                          ? j->zeros
                                          : src->x + (row[i] * sw + col[k]) * src->channels;
            j->w->input_tile(d, v + t * positions * cin + c0, cin, src->channels);
            c0 += src->channels;
        }
    }
}

/* Y tile = A^T m A, plus bias and epilogue; outputs past the image edge are
 * dropped. The transform writes straight into y (into `o`, m^2 x cout
 * scratch, for outputs past the edge, and for all of an accumulating
 * epilogue's, which then adds them). */
static void transform_output(const wino_job *j, const float *mt, int64_t t0, int64_t tiles,
                             float *o) {
    const us_conv_geom *g = j->g;
    const int64_t c = g->cout;
    const int m = j->w->m, positions = j->w->positions;
    const int accumulate = j->ep && j->ep->accumulate;
    float *dst[16];
    for (int64_t t = 0; t < tiles; t++) {
        int64_t tile = t0 + t, b = tile / j->tiles_hw;
        int64_t oh = m * ((tile % j->tiles_hw) / j->tiles_w), ow = m * (tile % j->tiles_w);
        for (int oi = 0; oi < m; oi++)
            for (int ok = 0; ok < m; ok++) {
                const int inside = oh + oi < g->ho && ow + ok < g->wo;
                dst[oi * m + ok] = inside && !accumulate
                                       ? j->y + ((b * g->ho + oh + oi) * g->wo + ow + ok) * c
                                       : o + (oi * m + ok) * c;
            }
        j->w->output_tile(mt + t * positions * c, c, dst, c);
        for (int oi = 0; oi < m && oh + oi < g->ho; oi++) {
            float *row = j->y + ((b * g->ho + oh + oi) * g->wo + ow) * c;
            for (int ok = 0; ok < m && ow + ok < g->wo; ok++) {
                if (accumulate)
                    add_row(row + ok * c, o + (oi * m + ok) * c, c);
                else
                    us_conv_finish_row(row + ok * c, c, j->bias, j->ep);
            }
        }
    }
}

/* One chunk on all the pass's threads (a layer of fewer chunks than
 * threads): tiles in bands for the transforms, positions dealt out for
 * the GEMMs (each on one thread). Every value is computed as on one
 * thread. */
typedef struct chunk_job {
    wino_job *j;
    int64_t t0, tiles;
    float *v, *mt;
    _Atomic int32_t next; /* the next position to take */
    us_share groups;      /* fused: the groups of output channels */
} chunk_job;

static void input_band(void *arg, int64_t lo, int64_t hi) {
    const chunk_job *c = arg;
    transform_input(c->j, c->t0 + lo, hi - lo, c->v + lo * c->j->w->positions * c->j->g->cin);
}

static void output_band(void *arg, int64_t lo, int64_t hi) {
    const chunk_job *c = arg;
    const int64_t cout = c->j->g->cout;
    float *o = us_malloc_array((size_t)(c->j->w->m * c->j->w->m * cout), sizeof(float));
    if (!o) {
        c->j->failed = 1;
        return;
    }
    transform_output(c->j, c->mt + lo * c->j->w->positions * cout, c->t0 + lo, hi - lo, o);
    free(o);
}

/* A kernel transformed on the call is transformed a block at a time, as
 * its GEMMs need it: 32 output channels (one tile of the AVX-512
 * micro-kernel) by US_GEMM_KC input channels, the GEMMs' own depth, so
 * that every sum is computed as from the whole transformed kernel. A
 * block's U for all positions (512 KB for F(2x2), 1.2 MB for F(4x4)) is
 * read by the GEMMs from L2 right after it is written, where the whole
 * transformed kernel (up to 17 MB) would go out to DRAM and come back;
 * and while the GEMMs of one block run, they fetch the raw kernel of the
 * next (us_sgemm_packed_ahead), which would otherwise be read from DRAM
 * with nothing to overlap (stage 4's 512 -> 512 conv at 8x8, cold,
 * Zen 5: see docs/PERFORMANCE.md). */
#define US_WINO_GROUP 32
/* Floats between a block's positions past their packed size: planes a
 * power of two apart (256 x 32 floats) share cache sets, and the
 * transform's 16 or 36 streams of writes evicted one another. */
#define US_WINO_PLANE_PAD 16
/* Fused only where each part runs at most this many chunks: every chunk
 * transforms the kernel again (large maps: many chunks, and small kernels
 * that the whole-kernel transform keeps in cache anyway). */
#define US_WINO_FUSED_MAX_CHUNKS 2

static int64_t group_floats(const wino_job *j) {
    const int64_t depth = j->g->cin < US_GEMM_KC ? j->g->cin : US_GEMM_KC;
    return j->w->positions * (us_gemm_packed_floats(depth, US_WINO_GROUP) + US_WINO_PLANE_PAD);
}

/* M[p] columns [c0, c0 + US_WINO_GROUP) of every position p, block by
 * block of input channels, each block of U transformed into ug first
 * (group_floats). The same values as from the whole transformed kernel:
 * the same transform of each kernel element, and each GEMM element summed
 * over k in the same blocks. The GEMMs of positions 0-8 fetch the raw
 * kernel's 9 taps of the next block: of this group, or of group next_c0
 * (none past cout). */
static void group_gemms(const wino_job *j, int64_t c0, int64_t next_c0, int64_t tiles,
                        const float *v, float *mt, float *ug) {
    const us_conv_geom *g = j->g;
    const int positions = j->w->positions;
    const int64_t cols = g->cout - c0 < US_WINO_GROUP ? g->cout - c0 : US_WINO_GROUP;
    for (int64_t k0 = 0; k0 < g->cin; k0 += US_GEMM_KC) {
        const int64_t rows = g->cin - k0 < US_GEMM_KC ? g->cin - k0 : US_GEMM_KC;
        kernel_job k = kernel_job_of(j->w, j->kernel, g->cin, g->cout, k0, rows, c0, cols, ug);
        k.packed += US_WINO_PLANE_PAD;
        kernel_band(&k, 0, k.panels);
        const float *next = k0 + US_GEMM_KC < g->cin ? j->kernel + (k0 + US_GEMM_KC) * g->cout + c0
                            : next_c0 < g->cout     ? j->kernel + next_c0
                                                    : NULL;
        for (int p = 0; p < positions; p++)
            us_sgemm_packed_ahead(tiles, cols, rows, v + p * g->cin + k0, positions * g->cin,
                                  ug + p * k.packed, k0 > 0, mt + p * g->cout + c0,
                                  positions * g->cout, next && p < 9 ? next + p * k.plane : NULL,
                                  g->cout);
    }
}

/* The GEMM of position p: M[p] = V[p] . U[p]. */
static void position_gemm(const wino_job *j, int p, int64_t tiles, const float *v, float *mt) {
    const us_conv_geom *g = j->g;
    const int positions = j->w->positions;
    us_sgemm_packed(tiles, g->cout, g->cin, v + p * g->cin, positions * g->cin,
                    j->u + p * us_gemm_packed_floats(g->cin, g->cout), 0, mt + p * g->cout,
                    positions * g->cout);
}

static void gemm_part(void *arg, int32_t part, int32_t parts) {
    chunk_job *c = arg;
    int32_t saved = us_parallel_threads();
    us_parallel_set_threads(1);
    (void)part, (void)parts;
    for (int p; (p = atomic_fetch_add(&c->next, 1)) < c->j->w->positions;)
        position_gemm(c->j, p, c->tiles, c->v, c->mt);
    us_parallel_set_threads(saved);
}

/* Fused: groups of output channels taken in turn instead of positions (each
 * group's kernel is transformed once, by the part that uses it). */
static void group_part(void *arg, int32_t part, int32_t parts) {
    chunk_job *c = arg;
    float *ug = us_scratch_get((size_t)group_floats(c->j), sizeof(float));
    if (!ug) {
        c->j->failed = 1;
        return;
    }
    int32_t saved = us_parallel_threads();
    us_parallel_set_threads(1);
    (void)parts;
    /* each part takes its next group before it runs this one, so that
     * this one's GEMMs can fetch the next one's kernel; its own share of
     * the groups first, so that each part reads its own side of every raw
     * kernel row */
    int64_t group = us_share_take(&c->groups, part);
    while (group >= 0) {
        const int64_t next = us_share_take(&c->groups, part);
        group_gemms(c->j, group * US_WINO_GROUP, next >= 0 ? next * US_WINO_GROUP : c->j->g->cout,
                    c->tiles, c->v, c->mt, ug);
        group = next;
    }
    us_parallel_set_threads(saved);
    us_scratch_put(ug);
}

/* One chunk of tiles: input transform, one GEMM per position (or per
 * group of output channels, fused), output transform; on the pass's
 * threads (one, inside a part). ug: a fused part's group buffer. */
static void run_chunk(wino_job *j, int64_t t0, float *v, float *mt, float *scratch, float *ug) {
    const us_conv_geom *g = j->g;
    const int positions = j->w->positions;
    const int32_t threads = us_parallel_threads();
    int64_t tiles = j->total - t0 < j->chunk ? j->total - t0 : j->chunk;
    if (threads > 1) {
        chunk_job c = {.j = j, .t0 = t0, .tiles = tiles, .v = v, .mt = mt};
        us_parallel_rows(tiles, positions * g->cin, input_band, &c);
        if (j->kernel) {
            const int64_t groups = (g->cout + US_WINO_GROUP - 1) / US_WINO_GROUP;
            const int32_t group_parts = threads < groups ? threads : (int32_t)groups;
            us_share_init(&c.groups, groups, group_parts);
            us_parallel_run(group_parts, group_part, &c);
        } else {
            us_parallel_run(threads < positions ? threads : positions, gemm_part, &c);
        }
        us_parallel_rows(tiles, positions * g->cout, output_band, &c);
        return;
    }
    transform_input(j, t0, tiles, v);
    if (j->kernel)
        for (int64_t c0 = 0; c0 < g->cout; c0 += US_WINO_GROUP)
            group_gemms(j, c0, c0 + US_WINO_GROUP, tiles, v, mt, ug);
    else
        for (int p = 0; p < positions; p++) position_gemm(j, p, tiles, v, mt);
    transform_output(j, mt, t0, tiles, scratch);
}

/* A part runs chunks with its own buffers: its own share of the tiles
 * first, then chunks left in the others' (us_share: a thread slowed by the
 * host does fewer). With several
 * parts each GEMM runs on its part's thread alone. */
static void wino_part(void *arg, int32_t part, int32_t parts) {
    wino_job *j = arg;
    const us_conv_geom *g = j->g;
    const int64_t positions = j->w->positions, m = j->w->m;
    float *v = us_scratch_get((size_t)(positions * j->chunk * g->cin), sizeof(float));
    float *mt = us_scratch_get((size_t)(positions * j->chunk * g->cout), sizeof(float));
    float *scratch = us_scratch_get((size_t)(m * m * g->cout), sizeof(float));
    /* a part on one thread transforms its own groups (one chunk on all
     * threads: group_part) */
    const int own_groups = j->kernel && (parts > 1 || us_parallel_threads() == 1);
    float *ug = own_groups ? us_scratch_get((size_t)group_floats(j), sizeof(float)) : NULL;
    int32_t saved = us_parallel_threads();
    if (parts > 1) us_parallel_set_threads(1);
    if (!v || !mt || !scratch || (own_groups && !ug))
        j->failed = 1;
    else
        for (int64_t c; (c = us_share_take(&j->chunks, part)) >= 0;)
            run_chunk(j, c * j->chunk, v, mt, scratch, ug);
    us_parallel_set_threads(saved);
    us_scratch_put(v);
    us_scratch_put(mt);
    us_scratch_put(scratch);
    us_scratch_put(ug);
}

/* How a pass on the calling thread's thread count splits a conv's tiles
 * (tiles_w a row, tiles_hw an image, total in all): `chunks` chunks of
 * `chunk` tiles, run by `parts` parts; and whether a
 * kernel that is not kept is transformed group by group inside each chunk
 * (fused) rather than once, whole, before them. */
typedef struct chunk_plan {
    int64_t tiles_w, tiles_hw, total, chunk, chunks;
    int32_t parts;
    int fused;
} chunk_plan;

static chunk_plan plan_chunks(const us_conv_geom *g, const us_wino_transforms *w) {
    const int64_t tiles_w = (g->wo + w->m - 1) / w->m;
    const int64_t tiles_hw = ((g->ho + w->m - 1) / w->m) * tiles_w, total = g->n * tiles_hw;
    const int64_t cmax = g->cin > g->cout ? g->cin : g->cout;
    if (total == 0) return (chunk_plan){tiles_w, tiles_hw, 0, 0, 0, 0, 0};
    int64_t chunk = us_chunk_rows(US_WINO_TARGET_FLOATS, w->positions * cmax, US_WINO_MIN_CHUNK, total);
    /* An even number of equal chunks, so that two threads share them evenly
     * (3 chunks of a 64x64 layer left one thread idle a third of the time).
     * Fewer chunks than threads (the small maps of a batch-1 pass: one chunk
     * of 64 tiles) become one chunk per thread of at least
     * US_WINO_MIN_THREAD_CHUNK tiles: each thread then runs its tiles'
     * transforms and GEMMs alone, where one chunk on all threads meets at
     * three barriers and each GEMM reads the V the other core wrote (batch
     * 1, 256x256, 2 threads, Zen 5: 29.0-29.6 -> 27.5-28.0 ms, 5
     * interleaved rounds; it costs U read by both threads). No value
     * depends on the split: each tile is transformed alone and each GEMM
     * row is summed over k alone (gemm_tile.h). */
    int64_t chunks = (total + chunk - 1) / chunk;
    if (chunks > 1) {
        chunks += chunks % 2;
        chunk = (total + chunks - 1) / chunks;
    }
    const int64_t threads = us_parallel_threads();
    if (chunks < threads && total / threads >= US_WINO_MIN_THREAD_CHUNK) {
        chunks = threads;
        chunk = (total + chunks - 1) / chunks;
    }
    chunks = (total + chunk - 1) / chunk;
    int32_t parts = us_parallel_threads();
    if (parts > chunks) parts = (int32_t)chunks;
    /* Without a kept kernel, one that each part would read only once or
     * twice is transformed group by group as its GEMMs need it (F(4x4),
     * 256 -> 256 channels at 16x16, Zen 5: see docs/PERFORMANCE.md) */
    return (chunk_plan){tiles_w, tiles_hw, total, chunk, chunks, parts,
                        (chunks + parts - 1) / parts <= US_WINO_FUSED_MAX_CHUNKS};
}

int64_t us_winograd_kernel_transforms(const us_conv_geom *g, int tile) {
    const us_wino_transforms *w = us_wino_for_tile(tile);
    if (!w) return 0;
    const chunk_plan plan = plan_chunks(g, w);
    return plan.fused || plan.total == 0 ? plan.chunks : 1;
}

int32_t us_conv2d_forward_winograd_sources(const us_conv_geom *g, int tile,
                                           const us_conv_source *sources, int32_t n_sources,
                                           const float *kernel, const float *prepared,
                                           const float *bias, const us_conv_epilogue *ep,
                                           float *y) {
    const us_wino_transforms *w = us_wino_for_tile(tile);
    if (!w) return us_fail(UNETSEG_E_UNSUPPORTED, "conv2d: no Winograd transforms for tile %d", tile);
    int64_t channels = 0;
    for (int32_t s = 0; s < n_sources; s++) channels += sources[s].channels;
    if (channels != g->cin)
        return us_fail(UNETSEG_E_SHAPE, "conv2d: input parts have %lld channels, the conv %lld",
                       (long long)channels, (long long)g->cin);
    const chunk_plan plan = plan_chunks(g, w);
    const int64_t total = plan.total, chunk = plan.chunk, chunks = plan.chunks;
    const int32_t parts = plan.parts;
    if (total == 0) return UNETSEG_OK;
    const int fused = !prepared && plan.fused;
    float *u = prepared || fused
                   ? NULL
                   : us_scratch_get((size_t)us_winograd_kernel_floats(tile, g->cin, g->cout),
                                    sizeof(float));
    float *zeros = us_calloc_array((size_t)g->cin, sizeof(float));
    int32_t st = UNETSEG_OK;
    if ((!prepared && !fused && !u) || !zeros) {
        st = us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    } else {
        if (!prepared && !fused) us_winograd_transform_kernel(tile, kernel, g->cin, g->cout, u);
        wino_job j = {.g = g, .w = w, .sources = sources, .n_sources = n_sources,
                      .u = prepared ? prepared : u, .bias = bias,
                      .zeros = zeros, .kernel = fused ? kernel : NULL, .ep = ep, .y = y,
                      .tiles_w = plan.tiles_w, .tiles_hw = plan.tiles_hw, .total = total,
                      .chunk = chunk};
        us_share_init(&j.chunks, chunks, parts);
        if (parts > 1)
            us_parallel_run(parts, wino_part, &j);
        else
            wino_part(&j, 0, 1);
        if (j.failed) st = us_fail(UNETSEG_E_NOMEM, "conv2d: cannot allocate Winograd buffers");
    }
    us_scratch_put(u);
    free(zeros);
    return st;
}

int32_t us_conv2d_forward_winograd(const us_conv_geom *g, int tile, const float *x,
                                   const float *kernel, const float *prepared, const float *bias,
                                   const us_conv_epilogue *ep, float *y) {
    const us_conv_source whole = {x, g->cin, 1, 1};
    return us_conv2d_forward_winograd_sources(g, tile, &whole, 1, kernel, prepared, bias, ep, y);
}
