/* Parameter data shared copy-on-write by a model and its clones (internal).
 *
 * Every parameter (us_param) holds its values in a us_param_data block with
 * an atomic reference count: unetseg_model_clone shares the blocks of its
 * source instead of copying them, so N clones of one model hold one copy of
 * the weights. A block whose count is above 1 is never written: whatever
 * changes a parameter (param_set, load_weights, a training step, BatchNorm
 * recalibration, a checkpoint) first gives its own model a private block
 * (us_param_make_writable, or us_param_adopt of freshly read values); the
 * other models keep the old one. A count of 1 means one model holds the
 * block, and only calls on that model (one thread at a time) can raise it,
 * so that model may write it in place.
 *
 * A block also carries derived data of its values that inference keeps:
 * the Winograd-transformed kernel of a Conv2D, per tile size and GEMM
 * variant, or the kernel packed as the GEMM path reads it (small maps).
 * Since a shared block's values never change, its transformed kernels stay
 * valid and are shared as well: the first model to need one installs it
 * (an atomic compare-and-swap; a thread that loses the race uses the
 * winner's), the others read it. They are freed with the block, or when
 * the only holder writes its values.
 *
 * Their memory is bounded per clone family (us_share_group: a model made by
 * unetseg_model_create or a builder, and every clone made from it or from
 * its clones): together at most US_KERNEL_CACHE_FLOATS floats, reserved
 * atomically before each is made. Every model sharing a block is in the
 * block's group, so the block's pointer to it stays valid while the block
 * lives.
 */
#ifndef US_GRAPH_PARAM_SHARE_H
#define US_GRAPH_PARAM_SHARE_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/tensor.h"

/* Transformed kernels of one clone family: 48 MiB at most by default
 * (unetseg_model_set_kernel_cache_limit sets another bound). Memory before
 * the last few per cent of speed: Unet('resnet34') would keep 233 MiB at
 * batch 1, 256x256, which put its peak RSS at ORT's and PyTorch's (about
 * 370 MiB); within 48 MiB it is 172 MiB, and the pass 3-6 % slower on one
 * thread, 9-15 % on two (Zen 5, docs/PERFORMANCE.md). */
#define US_KERNEL_CACHE_FLOATS ((int64_t)12 << 20)
/* Transformed kernels one block keeps (F(4x4) and F(2x2) differ in size). */
#define US_KERNEL_CACHE_SLOTS 2

typedef struct us_share_group {
    _Atomic int64_t refs;         /* models holding it */
    _Atomic int64_t cache_floats; /* transformed kernels of its blocks */
    _Atomic int64_t cache_limit;  /* floats they may take */
} us_share_group;

typedef struct us_kernel_cache {
    int32_t isa;    /* us_cpu_isa() it was packed for */
    int32_t kind;   /* Winograd output tile, 4 or 2, or US_PREPARED_GEMM (ops.h) */
    int64_t floats; /* of data */
    float *data;
} us_kernel_cache;

typedef struct us_param_data {
    _Atomic int64_t refs;  /* us_params of models holding it */
    unetseg_tensor *value; /* the values; the us_param's `value` points here too */
    us_share_group *group;
    _Atomic(us_kernel_cache *) cache[US_KERNEL_CACHE_SLOTS];
} us_param_data;

/* A new group held once (by the model that calls it); NULL when out of
 * memory. Retain for each clone; release frees it with its last holder. */
us_share_group *us_share_group_new(void);
void us_share_group_retain(us_share_group *g);
void us_share_group_release(us_share_group *g);
/* The bound on the group's transformed kernels, in floats (>= 0): kernels
 * transformed from now on count against it; those kept stay. */
void us_share_group_set_cache_limit(us_share_group *g, int64_t floats);

struct us_param;

/* A new block of `group` holding a zero-filled tensor of that shape,
 * referenced once; NOMEM. us_param_data_free releases a block that no
 * us_param holds (e.g. values staged for a load that then failed). */
int32_t us_param_data_new(us_share_group *group, int32_t rank, const int64_t *shape,
                          us_param_data **out);
void us_param_data_free(us_param_data *d);

/* Give `p` a new zero-filled block of `group` (p holds none yet); NOMEM. */
int32_t us_param_alloc(struct us_param *p, us_share_group *group, int32_t rank,
                       const int64_t *shape);
/* `dst` becomes a copy of `src`'s name and flags sharing its block (one more
 * reference). Cannot fail. */
void us_param_share(struct us_param *dst, const struct us_param *src);
/* Drop p's reference (the block is freed with its last one); p then holds
 * nothing. NULL blocks are fine. */
void us_param_release(struct us_param *p);
/* Replace p's block by `d` (which p now holds) and release the old one. */
void us_param_adopt(struct us_param *p, us_param_data *d);
/* Make p's values private to its model before they are written: a shared
 * block is copied into a new one (the other holders keep the old), a
 * private one loses its transformed kernels. NOMEM, p unchanged. */
int32_t us_param_make_writable(struct us_param *p);
/* 1 if another model holds p's block too. */
int us_param_is_shared(const struct us_param *p);
/* A private block loses its transformed kernels (after its values may have
 * changed); a shared one keeps them (its values cannot have changed). */
void us_param_drop_private_cache(struct us_param *p);

/* The prepared kernel of p (a Conv2D kernel of `rows` x cout:
 * us_prepared_kernel_rows) of `kind` (ops.h: us_conv2d_inference_prepared)
 * on the current GEMM variant: the block's, made and installed now if the
 * group's budget allows. NULL when there is none (the conv then transforms
 * or reads the kernel itself); never an error. */
const float *us_param_prepared_kernel(struct us_param *p, int kind, int64_t rows, int64_t cout);

/* The same when p's block already keeps it, else NULL (nothing is made). */
const float *us_param_prepared_kernel_kept(struct us_param *p, int kind, int64_t rows, int64_t cout);
/* Drop p's transformed kernels made for another GEMM variant, if p's
 * block is this model's alone (a shared block keeps them for the others). */
void us_param_drop_other_variants(struct us_param *p);
/* Floats of transformed kernels p's clone family may still keep. */
int64_t us_param_cache_room(const struct us_param *p);

/* Bytes of the transformed kernels block d holds now. */
int64_t us_param_data_cache_bytes(const us_param_data *d);

#endif
