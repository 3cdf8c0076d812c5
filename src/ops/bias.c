/* Per-channel bias over rows of channel vectors (NHWC), its gradient, and
 * the fused epilogue of a conv output row. */
#include "core/simd.h"
#include "ops/ops.h"

US_VECTOR_CLONES void us_bias_add_rows(float *restrict y, int64_t rows, int64_t c,
                                       const float *restrict bias) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < c; k++) y[r * c + k] += bias[k];
}

US_VECTOR_CLONES void us_conv_finish_row(float *restrict row, int64_t n, const float *restrict bias,
                                         const us_conv_epilogue *ep) {
    if (bias)
        for (int64_t k = 0; k < n; k++) row[k] += bias[k];
    if (ep && ep->scale) {
        const float *restrict scale = ep->scale, *restrict shift = ep->shift;
        for (int64_t k = 0; k < n; k++) row[k] = row[k] * scale[k] + shift[k];
    }
    if (ep && ep->relu)
        for (int64_t k = 0; k < n; k++) row[k] = row[k] > 0.0f ? row[k] : 0.0f;
}

US_VECTOR_CLONES void us_bias_grad_rows(float *restrict dbias, const float *restrict dy,
                                        int64_t rows, int64_t c) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < c; k++) dbias[k] += dy[r * c + k];
}
