/* TensorFlow's output-size and padding rules for 'valid' and 'same'. */
#include "ops/ops.h"

int64_t us_conv_out_size(int64_t in, int64_t k, int64_t s, int32_t same) {
    if (same) return (in + s - 1) / s;
    return in >= k ? (in - k) / s + 1 : 0;
}

/* 'same' pads pad_total = max((out-1)*s + k - in, 0); TF puts the smaller half
 * first, so odd totals get the extra row/column at the bottom/right. */
int64_t us_conv_pad_before(int64_t in, int64_t k, int64_t s, int32_t same) {
    if (!same) return 0;
    int64_t out = us_conv_out_size(in, k, s, 1);
    int64_t total = (out - 1) * s + k - in;
    return total > 0 ? total / 2 : 0;
}

int64_t us_conv_transpose_out_size(int64_t in, int64_t k, int64_t s, int32_t same) {
    if (same) return in * s;
    return in * s + (k > s ? k - s : 0);
}

/* A transposed conv is the gradient of the conv that maps its output back to
 * its input; for 'same' that conv pads max(k - s, 0) in all. */
int64_t us_conv_transpose_pad_before(int64_t k, int64_t s, int32_t same) {
    if (!same) return 0;
    return k > s ? (k - s) / 2 : 0;
}
