/* The Winograd F(2x2, 3x3) path against the im2col + GEMM path (itself
 * checked against PyTorch in test_ops_fixtures.c): odd and even sizes,
 * 'same'/'valid'/asymmetric padding, batch, bias and the fused epilogue. */
#include <math.h>
#include <stdlib.h>

#include "ops/ops.h"
#include "support/test_support.h"

static float value(int64_t i, double f) { return (float)sin(f * (double)i + 0.3); }

static void compare(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t pad_top,
                    int64_t pad_left, int64_t ho, int64_t wo, int use_bias, int use_ep) {
    us_conv_geom g = {n, h, w, cin, ho, wo, cout, 3, 3, 1, 1, pad_top, pad_left};
    float *x = malloc((size_t)(n * h * w * cin) * sizeof(float));
    float *k = malloc((size_t)(9 * cin * cout) * sizeof(float));
    float *bias = malloc((size_t)cout * sizeof(float)), *scale = malloc((size_t)cout * sizeof(float));
    float *shift = malloc((size_t)cout * sizeof(float));
    float *a = malloc((size_t)(n * ho * wo * cout) * sizeof(float));
    float *b = malloc((size_t)(n * ho * wo * cout) * sizeof(float));
    for (int64_t i = 0; i < n * h * w * cin; i++) x[i] = 3.0f * value(i, 0.37);
    for (int64_t i = 0; i < 9 * cin * cout; i++) k[i] = value(i, 1.3) / (float)sqrt(9.0 * cin);
    for (int64_t i = 0; i < cout; i++) bias[i] = value(i, 0.7), scale[i] = 1.0f + 0.5f * value(i, 2.1),
                                       shift[i] = value(i, 0.2);
    us_conv_epilogue ep = {scale, shift, 1};
    assert_ok(us_conv2d_forward_im2col(&g, x, k, use_bias ? bias : NULL, use_ep ? &ep : NULL, a));
    assert_ok(us_conv2d_forward_winograd(&g, x, k, use_bias ? bias : NULL, use_ep ? &ep : NULL, b));
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < n * ho * wo * cout; i++) {
        max_ref = fmax(max_ref, fabs(a[i]));
        max_err = fmax(max_err, fabs((double)a[i] - b[i]));
    }
    if (max_err > 1e-5 * fmax(1.0, max_ref))
        print_error("%lldx%lldx%lld -> %lld: max err %g (max ref %g)\n", (long long)h, (long long)w,
                    (long long)cin, (long long)cout, max_err, max_ref);
    assert_true(max_err <= 1e-5 * fmax(1.0, max_ref));
    free(x), free(k), free(bias), free(scale), free(shift), free(a), free(b);
}

static void winograd_matches_im2col(void **state) {
    (void)state;
    /* 'same' (pad 1): even, odd, tiny, rectangular; several channel counts */
    compare(1, 8, 8, 3, 5, 1, 1, 8, 8, 1, 0);
    compare(2, 7, 9, 4, 3, 1, 1, 7, 9, 0, 1);
    compare(1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1);
    compare(1, 3, 2, 17, 9, 1, 1, 3, 2, 1, 1);
    compare(3, 16, 16, 32, 16, 1, 1, 16, 16, 0, 1);
    /* 'valid' (no pad), and a folded asymmetric ZeroPadding2D (pad 2 on top/left only) */
    compare(1, 10, 7, 3, 4, 0, 0, 8, 5, 1, 0);
    compare(2, 6, 6, 5, 6, 2, 2, 6, 6, 1, 1);
    /* a chunked case: more tiles than one chunk holds */
    compare(1, 130, 98, 64, 8, 1, 1, 130, 98, 1, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(winograd_matches_im2col)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
