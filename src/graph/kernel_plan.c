/* The kernel budget by value: a kept kernel saves its transform on every
 * pass, so the kernels a pass would transform most often come first: where
 * each chunk of tiles transforms the kernel as its GEMMs need it, once per
 * chunk (on two threads a batch-1 pass gives each thread a chunk of its
 * own of stage 1-2's and decoder blocks 1-2's convs: each transforms them;
 * Unet('resnet34') at batch 1, 256x256, 48 MiB, two threads, 4 interleaved
 * rounds on Zen 5: 26.8-27.5 -> 26.5-26.9 ms). Then the saving weighs most
 * where few tiles share the kernel: the transform costs the same whatever
 * the map, the products scale with the tiles. So kernels are kept in order
 * of fewest tiles first (a U-Net at batch 1, 256x256: stage 4's and
 * decoder0a's before stage 3's, which come first in layer order. Zen 5,
 * one core: a 128 MiB budget kept first-come, stages 1-3, made the pass
 * 54-55 ms; by value 49.2, where all kernels kept give 46.4 and none
 * 55.1). Among equals, F(2x2)'s before F(4x4)'s, then the larger first:
 * transformed on the call, stage 4's 512 -> 512 conv by F(2x2) at 8x8
 * costs 0.9 ms more than kept for its 16 MiB, and decoder0a's 768 -> 256
 * by F(4x4) at 16x16 1.0 ms for 27 MiB (one Zen 5 core, cold caches).
 * The GEMM path's kernels packed for small maps (us_conv2d_inference_prepared)
 * come after the Winograd kernels read as often (a pass at 256x256 and up
 * keeps what it kept before), those of more output pixels (GEMM rows)
 * first: there the packed kernel is read faster by more work per byte
 * (Unet('resnet34') at 64x64, 48 MiB, Zen 5: stage 4's five 512 -> 512
 * convs, 4 pixels, kept first saved nothing measurable; stage 3's twelve,
 * 16 pixels, are most of the 19-22 % that keeping all of them saves). */
#include "graph/kernel_plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"
#include "graph/param_share.h"
#include "ops/ops.h"

typedef struct candidate {
    int32_t layer, kind; /* us_conv2d_inference_prepared */
    int64_t transforms, tiles, floats;
} candidate;

static int by_value(const void *pa, const void *pb) {
    const candidate *a = pa, *b = pb;
    if (a->transforms != b->transforms) return a->transforms > b->transforms ? -1 : 1;
    const int gemm = a->kind == US_PREPARED_GEMM;
    if (gemm != (b->kind == US_PREPARED_GEMM)) return gemm ? 1 : -1; /* Winograd's first */
    /* Winograd kernels of fewer tiles first, packed GEMM kernels of more rows */
    if (a->tiles != b->tiles) return (gemm ? a->tiles > b->tiles : a->tiles < b->tiles) ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->floats != b->floats) return a->floats > b->floats ? -1 : 1;
    return a->layer < b->layer ? -1 : a->layer > b->layer; /* layer order on ties */
}

int32_t us_kernel_plan(unetseg_model *m, const int64_t (*shapes)[4], int make_new, uint8_t *keep) {
    memset(keep, 0, (size_t)m->n_layers);
    candidate *c = us_malloc_array((size_t)m->n_layers + 1, sizeof *c);
    if (!c) return us_fail(UNETSEG_E_NOMEM, "forward: out of memory");
    int32_t n = 0;
    int64_t room = -1;
    for (int32_t i = 0; i < m->n_layers; i++) {
        us_layer *l = &m->layers[i];
        us_param *p = l->kind == UNETSEG_LAYER_CONV2D ? us_layer_find_param(l, "kernel") : NULL;
        if (!p) continue;
        us_conv_geom g;
        us_layer_conv_geom(l, shapes[us_model_index_of_id(m, l->in_ids[0])], shapes[i], &g);
        const int kind = us_conv2d_inference_prepared(&g);
        if (!kind) continue;
        const int64_t rows = us_prepared_kernel_rows(&g, kind);
        us_param_drop_other_variants(p); /* their room is this variant's now */
        if (us_param_prepared_kernel_kept(p, kind, rows, g.cout)) {
            keep[i] = 1; /* kept already: costs nothing more */
            continue;
        }
        if (!make_new) continue;
        if (room < 0) room = us_param_cache_room(p); /* one budget for the whole model */
        /* a packed GEMM kernel is read once per pass, by its n * ho * wo
         * output pixels (its GEMM's rows) */
        const int gemm = kind == US_PREPARED_GEMM;
        c[n++] = (candidate){i, kind, gemm ? 1 : us_winograd_kernel_transforms(&g, kind),
                             gemm ? g.n * g.ho * g.wo : us_winograd_tiles(&g, kind),
                             us_prepared_kernel_floats(kind, rows, g.cout)};
    }
    qsort(c, (size_t)n, sizeof *c, by_value);
    for (int32_t k = 0; k < n; k++)
        if (c[k].floats <= room) {
            keep[c[k].layer] = 1;
            room -= c[k].floats;
        }
    free(c);
    return UNETSEG_OK;
}
