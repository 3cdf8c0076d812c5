/* Copy-on-write parameter blocks and their transformed kernels (see
 * param_share.h for the rules). */
#include "graph/param_share.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cpu.h"
#include "core/error.h"
#include "graph/model.h"
#include "ops/ops.h"

us_share_group *us_share_group_new(void) {
    us_share_group *g = us_calloc(1, sizeof *g);
    if (!g) return NULL;
    atomic_init(&g->refs, 1);
    atomic_init(&g->cache_floats, 0);
    atomic_init(&g->cache_limit, US_KERNEL_CACHE_FLOATS);
    return g;
}

void us_share_group_set_cache_limit(us_share_group *g, int64_t floats) {
    atomic_store_explicit(&g->cache_limit, floats, memory_order_relaxed);
}

void us_share_group_retain(us_share_group *g) {
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void us_share_group_release(us_share_group *g) {
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) free(g);
}

/* ------------------------------------------------------------------ blocks */
static void cache_entry_free(us_share_group *g, us_kernel_cache *e) {
    if (!e) return;
    atomic_fetch_sub_explicit(&g->cache_floats, e->floats, memory_order_relaxed);
    free(e->data);
    free(e);
}

/* Only with no other holder (a private block, or one being freed). */
static void drop_cache(us_param_data *d) {
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++)
        cache_entry_free(d->group, atomic_exchange_explicit(&d->cache[s], NULL, memory_order_acq_rel));
}

int32_t us_param_data_new(us_share_group *group, int32_t rank, const int64_t *shape,
                          us_param_data **out) {
    *out = NULL;
    us_param_data *d = us_calloc(1, sizeof *d);
    if (!d) return us_fail(UNETSEG_E_NOMEM, "parameter: out of memory");
    int32_t st = us_tensor_new(rank, shape, &d->value);
    if (st) {
        free(d);
        return st;
    }
    atomic_init(&d->refs, 1);
    d->group = group;
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++) atomic_init(&d->cache[s], NULL);
    *out = d;
    return UNETSEG_OK;
}

void us_param_data_free(us_param_data *d) {
    if (!d || atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1) return;
    drop_cache(d);
    unetseg_tensor_free(d->value);
    free(d);
}

int32_t us_param_alloc(us_param *p, us_share_group *group, int32_t rank, const int64_t *shape) {
    us_param_data *d = NULL;
    int32_t st = us_param_data_new(group, rank, shape, &d);
    if (st) return st;
    p->data = d;
    p->value = d->value;
    return UNETSEG_OK;
}

void us_param_share(us_param *dst, const us_param *src) {
    *dst = *src;
    atomic_fetch_add_explicit(&src->data->refs, 1, memory_order_relaxed);
}

void us_param_release(us_param *p) {
    us_param_data_free(p->data);
    p->data = NULL;
    p->value = NULL;
}

void us_param_adopt(us_param *p, us_param_data *d) {
    us_param_data_free(p->data);
    p->data = d;
    p->value = d->value;
}

int us_param_is_shared(const us_param *p) {
    return atomic_load_explicit(&p->data->refs, memory_order_acquire) > 1;
}

int32_t us_param_make_writable(us_param *p) {
    if (!us_param_is_shared(p)) {
        drop_cache(p->data);
        return UNETSEG_OK;
    }
    us_param_data *d = NULL;
    int32_t st = us_param_data_new(p->data->group, p->value->rank, p->value->shape, &d);
    if (st) return us_fail(UNETSEG_E_NOMEM, "out of memory for a private copy of '%s'", p->name);
    memcpy(d->value->data, p->value->data, (size_t)p->value->numel * sizeof(float));
    us_param_adopt(p, d);
    return UNETSEG_OK;
}

void us_param_drop_private_cache(us_param *p) {
    if (p->data && !us_param_is_shared(p)) drop_cache(p->data);
}

int64_t us_param_data_cache_bytes(const us_param_data *d) {
    int64_t bytes = 0;
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++) {
        const us_kernel_cache *e = atomic_load_explicit(&d->cache[s], memory_order_acquire);
        if (e) bytes += e->floats * (int64_t)sizeof(float);
    }
    return bytes;
}

/* ------------------------------------------------------ transformed kernels */
static const float *lookup(us_param_data *d, int32_t isa, int kind, int64_t floats) {
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++) {
        const us_kernel_cache *e = atomic_load_explicit(&d->cache[s], memory_order_acquire);
        if (e && e->isa == isa && e->kind == kind && e->floats == floats) return e->data;
    }
    return NULL;
}

/* A new entry, its floats reserved in the group's budget; NULL if the budget
 * or memory does not allow it. */
static us_kernel_cache *make_entry(us_param_data *d, int32_t isa, int kind, int64_t rows,
                                   int64_t cout, int64_t floats) {
    us_share_group *g = d->group;
    if (atomic_fetch_add_explicit(&g->cache_floats, floats, memory_order_relaxed) + floats >
        atomic_load_explicit(&g->cache_limit, memory_order_relaxed)) {
        atomic_fetch_sub_explicit(&g->cache_floats, floats, memory_order_relaxed);
        return NULL;
    }
    us_kernel_cache *e = us_calloc(1, sizeof *e);
    float *u = us_malloc_large((size_t)floats, sizeof(float));
    if (!e || !u) {
        free(e);
        free(u);
        atomic_fetch_sub_explicit(&g->cache_floats, floats, memory_order_relaxed);
        return NULL;
    }
    us_prepare_kernel(kind, d->value->data, rows, cout, u);
    e->isa = isa;
    e->kind = kind;
    e->floats = floats;
    e->data = u;
    return e;
}

void us_param_drop_other_variants(us_param *p) {
    if (us_param_is_shared(p)) return;
    /* only this model sees the block: an entry made for another GEMM
     * variant (tests switch them) can go to make room */
    us_param_data *d = p->data;
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++) {
        us_kernel_cache *e = atomic_load_explicit(&d->cache[s], memory_order_acquire);
        if (e && e->isa != (int32_t)us_cpu_isa())
            cache_entry_free(d->group, atomic_exchange_explicit(&d->cache[s], NULL, memory_order_acq_rel));
    }
}

const float *us_param_prepared_kernel(us_param *p, int kind, int64_t rows, int64_t cout) {
    us_param_data *d = p->data;
    const int32_t isa = (int32_t)us_cpu_isa();
    const int64_t floats = us_prepared_kernel_floats(kind, rows, cout);
    const float *found = lookup(d, isa, kind, floats);
    if (found) return found;
    us_param_drop_other_variants(p);
    for (int s = 0; s < US_KERNEL_CACHE_SLOTS; s++) {
        if (atomic_load_explicit(&d->cache[s], memory_order_acquire)) continue;
        us_kernel_cache *e = make_entry(d, isa, kind, rows, cout, floats);
        if (!e) return NULL;
        us_kernel_cache *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(&d->cache[s], &expected, e, memory_order_acq_rel,
                                                    memory_order_acquire))
            return e->data;
        /* another clone installed one in this slot meanwhile: it may be the
         * same kernel; else try the next slot */
        cache_entry_free(d->group, e);
        found = lookup(d, isa, kind, floats);
        if (found) return found;
    }
    return NULL;
}

const float *us_param_prepared_kernel_kept(us_param *p, int kind, int64_t rows, int64_t cout) {
    return lookup(p->data, (int32_t)us_cpu_isa(), kind, us_prepared_kernel_floats(kind, rows, cout));
}

int64_t us_param_cache_room(const us_param *p) {
    const us_share_group *g = p->data->group;
    const int64_t room = atomic_load_explicit(&g->cache_limit, memory_order_relaxed) -
                         atomic_load_explicit(&g->cache_floats, memory_order_relaxed);
    return room > 0 ? room : 0;
}
