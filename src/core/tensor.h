/* The tensor behind the opaque unetseg_tensor handle (internal). */
#ifndef US_CORE_TENSOR_H
#define US_CORE_TENSOR_H

#include "unetseg.h"

struct unetseg_tensor {
    int32_t rank;
    int64_t shape[UNETSEG_MAX_RANK];
    int64_t numel;
    float *data;
};

/* Largest element count of one tensor (2^34 floats = 64 GiB: any real use is
 * far below; larger requests are errors, not wrap-arounds). */
#define US_MAX_NUMEL ((int64_t)1 << 34)

/* Create a zero-filled tensor; validates rank and dims like the public call. */
int32_t us_tensor_new(int32_t rank, const int64_t *shape, unetseg_tensor **out);
/* Index of the first NaN/infinite value of data[0..n-1], or -1. */
int64_t us_first_non_finite(const float *data, int64_t n);
/* "(1, None, 32, 3)": the dims of a shape, negative ones (unknown) as None;
 * truncated to fit `size`. */
void us_format_shape(const int64_t *shape, int32_t rank, char *out, size_t size);

/* Product of dims with overflow/limit checks; -1 if invalid. */
int64_t us_shape_numel(int32_t rank, const int64_t *shape);

#endif
