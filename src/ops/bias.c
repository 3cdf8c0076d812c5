/* Per-channel bias over rows of channel vectors (NHWC), and its gradient. */
#include "core/simd.h"
#include "ops/ops.h"

US_VECTOR_CLONES void us_bias_add_rows(float *restrict y, int64_t rows, int64_t c,
                                       const float *restrict bias) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < c; k++) y[r * c + k] += bias[k];
}

US_VECTOR_CLONES void us_bias_grad_rows(float *restrict dbias, const float *restrict dy,
                                        int64_t rows, int64_t c) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < c; k++) dbias[k] += dy[r * c + k];
}
