/* Tensor handle: a float32 row-major array with its shape. */
#include "core/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* A float is NaN or infinite when its exponent bits are all ones. An
 * integer OR over a block says whether the block is clean in a loop the
 * compiler vectorises (this runs over every gradient at every step). */
int64_t us_first_non_finite(const float *data, int64_t n) {
    const int64_t block = 4096;
    for (int64_t b = 0; b < n; b += block) {
        int64_t end = b + block < n ? b + block : n;
        uint32_t bad = 0;
        for (int64_t i = b; i < end; i++) {
            uint32_t bits;
            memcpy(&bits, &data[i], sizeof bits);
            bad |= (bits & 0x7f800000u) == 0x7f800000u;
        }
        if (!bad) continue;
        for (int64_t i = b; i < end; i++)
            if (!isfinite(data[i])) return i;
    }
    return -1;
}

int64_t us_shape_numel(int32_t rank, const int64_t *shape) {
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (shape[i] < 1 || shape[i] > INT32_MAX) return -1;
        if (!us_mul_i64(numel, shape[i], &numel) || numel > US_MAX_NUMEL) return -1;
    }
    return numel;
}

int32_t us_tensor_new(int32_t rank, const int64_t *shape, unetseg_tensor **out) {
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_create: out is NULL");
    *out = NULL;
    if (!shape) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_create: shape is NULL");
    if (rank < 1 || rank > UNETSEG_MAX_RANK)
        return us_fail(UNETSEG_E_INVALID_ARG, "tensor_create: rank %d not in 1..%d", rank,
                       UNETSEG_MAX_RANK);
    int64_t numel = us_shape_numel(rank, shape);
    if (numel < 0)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "tensor_create: a dim is < 1 or > 2^31-1, or the element count "
                       "exceeds 2^34");
    unetseg_tensor *t = us_calloc(1, sizeof *t);
    /* large tensors (weights, images) on huge pages: zeroing them here
     * takes one page fault per 2 MiB instead of one per 4 KiB later */
    float *data = us_malloc_large((size_t)numel, sizeof(float));
    if (data) memset(data, 0, (size_t)numel * sizeof(float));
    if (!t || !data) {
        free(t);
        free(data);
        return us_fail(UNETSEG_E_NOMEM, "tensor_create: cannot allocate %lld floats",
                       (long long)numel);
    }
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof(int64_t));
    t->numel = numel;
    t->data = data;
    *out = t;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tensor_create(int32_t rank, const int64_t *shape,
                                          unetseg_tensor **out) {
    us_clear_error();
    return us_tensor_new(rank, shape, out);
}

UNETSEG_API void unetseg_tensor_free(unetseg_tensor *tensor) {
    if (!tensor) return;
    free(tensor->data);
    free(tensor);
}

UNETSEG_API int32_t unetseg_tensor_rank(const unetseg_tensor *tensor, int32_t *rank) {
    us_clear_error();
    if (rank) *rank = 0;
    if (!tensor || !rank) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_rank: NULL argument");
    *rank = tensor->rank;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tensor_shape(const unetseg_tensor *tensor, int64_t *shape,
                                         int32_t capacity) {
    us_clear_error();
    if (!tensor || !shape) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_shape: NULL argument");
    if (capacity < tensor->rank)
        return us_fail(UNETSEG_E_SHAPE, "tensor_shape: capacity %d < rank %d", capacity,
                       tensor->rank);
    memcpy(shape, tensor->shape, (size_t)tensor->rank * sizeof(int64_t));
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tensor_numel(const unetseg_tensor *tensor, int64_t *count) {
    us_clear_error();
    if (count) *count = 0;
    if (!tensor || !count) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_numel: NULL argument");
    *count = tensor->numel;
    return UNETSEG_OK;
}

UNETSEG_API float *unetseg_tensor_data(unetseg_tensor *tensor) {
    return tensor ? tensor->data : NULL;
}

UNETSEG_API const float *unetseg_tensor_data_const(const unetseg_tensor *tensor) {
    return tensor ? tensor->data : NULL;
}

UNETSEG_API int32_t unetseg_tensor_copy_from(unetseg_tensor *tensor, const float *src,
                                             int64_t count) {
    us_clear_error();
    if (!tensor || !src) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_copy_from: NULL argument");
    if (count != tensor->numel)
        return us_fail(UNETSEG_E_SHAPE, "tensor_copy_from: count %lld != numel %lld",
                       (long long)count, (long long)tensor->numel);
    memmove(tensor->data, src, (size_t)count * sizeof(float));
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tensor_copy_to(const unetseg_tensor *tensor, float *dst,
                                           int64_t count) {
    us_clear_error();
    if (!tensor || !dst) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_copy_to: NULL argument");
    if (count != tensor->numel)
        return us_fail(UNETSEG_E_SHAPE, "tensor_copy_to: count %lld != numel %lld",
                       (long long)count, (long long)tensor->numel);
    memmove(dst, tensor->data, (size_t)count * sizeof(float));
    return UNETSEG_OK;
}

void us_format_shape(const int64_t *shape, int32_t rank, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "(");
    for (int32_t d = 0; d < rank && used < size; d++) {
        const char *sep = d ? ", " : "";
        if (shape[d] < 0)
            used += (size_t)snprintf(out + used, size - used, "%sNone", sep);
        else
            used += (size_t)snprintf(out + used, size - used, "%s%lld", sep, (long long)shape[d]);
    }
    if (used < size) snprintf(out + used, size - used, ")");
}
