#include "graph/buffer_pool.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/parallel.h"

float *us_pool_acquire(us_buffer_pool *p, int64_t count) {
    int32_t best = -1;
    for (int32_t i = 0; i < p->n; i++)
        if (!p->bufs[i].in_use && p->bufs[i].capacity >= count &&
            (best < 0 || p->bufs[i].capacity < p->bufs[best].capacity))
            best = i;
    if (best < 0) {
        if (p->n == p->cap) {
            int32_t cap = p->cap ? p->cap * 2 : 16;
            us_pool_buf *grown = us_realloc(p->bufs, (size_t)cap * sizeof *grown);
            if (!grown) return NULL;
            p->bufs = grown;
            p->cap = cap;
        }
        float *data = us_malloc_large((size_t)count, sizeof(float));
        if (!data) return NULL;
        p->bufs[p->n] = (us_pool_buf){data, count, 0};
        best = p->n++;
    }
    p->bufs[best].in_use = 1;
    return p->bufs[best].data;
}

static void zero_band(void *arg, int64_t lo, int64_t hi) {
    memset((float *)arg + lo, 0, (size_t)(hi - lo) * sizeof(float));
}

float *us_pool_acquire_zeroed(us_buffer_pool *p, int64_t count) {
    float *data = us_pool_acquire(p, count);
    if (data) us_parallel_rows(count, 1, zero_band, data);
    return data;
}

void us_pool_release(us_buffer_pool *p, const float *data) {
    if (!data) return;
    for (int32_t i = 0; i < p->n; i++)
        if (p->bufs[i].data == data) p->bufs[i].in_use = 0;
}

void us_pool_free(us_buffer_pool *p) {
    for (int32_t i = 0; i < p->n; i++) free(p->bufs[i].data);
    free(p->bufs);
    memset(p, 0, sizeof *p);
}

void us_pool_release_all(us_buffer_pool *p) {
    for (int32_t i = 0; i < p->n; i++) p->bufs[i].in_use = 0;
}
