/* The executor keeps transformed Winograd kernels between forward passes;
 * every way weights change must drop them. Each case changes the weights of
 * a model that has already run (so its cache is filled) and checks the next
 * forward is bit-identical to a fresh model built with the new weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/ops.h"
#include "support/test_support.h"

/* input 32x32x8 -> conv 3x3 to 32 (Winograd F(4x4): 64 tiles; with 16
 * outputs the direct kernel would take it and keep nothing) -> conv to 1 ->
 * sigmoid */
static unetseg_model *build(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 32, 32, 8));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "in", 32, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "c2", "c1", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "out", "c2", UNETSEG_ACT_SIGMOID));
    return m;
}

static int64_t numel(const unetseg_tensor *t) {
    int64_t n = 0;
    assert_ok(unetseg_tensor_numel(t, &n));
    return n;
}

static void set_param(unetseg_model *m, const char *name, double f) {
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, name, &t));
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < numel(t); i++) d[i] = (float)(0.2 * sin(f * (double)i));
    assert_ok(unetseg_model_param_set(m, name, t));
    unetseg_tensor_free(t);
}

/* A 1 x h x w x c input of cos(0.37 i). */
static unetseg_tensor *input_of(int h, int w, int c) {
    float *v = malloc((size_t)(h * w * c) * sizeof(float));
    for (int i = 0; i < h * w * c; i++) v[i] = (float)cos(0.37 * i);
    unetseg_tensor *t = make_tensor4(1, h, w, c, v);
    free(v);
    return t;
}

static unetseg_tensor *input(void) { return input_of(32, 32, 8); }

static unetseg_tensor *forward(unetseg_model *m) {
    unetseg_tensor *x = input(), *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    unetseg_tensor_free(x);
    return y;
}

static void assert_same(const unetseg_tensor *a, const unetseg_tensor *b, int expect_equal) {
    assert_int_equal(numel(a), numel(b));
    int equal = memcmp(unetseg_tensor_data((unetseg_tensor *)a), unetseg_tensor_data((unetseg_tensor *)b),
                       (size_t)numel(a) * sizeof(float)) == 0;
    assert_int_equal(equal, expect_equal);
}

static int64_t kept_bytes(const unetseg_model *m) {
    int64_t cache = -1;
    assert_ok(unetseg_model_param_bytes(m, NULL, 0, NULL, NULL, &cache));
    return cache;
}

/* A model with c1's kernel from formula f, run twice (the second pass at
 * an input shape fills the cache). */
static unetseg_model *warm(double f, unetseg_tensor **y) {
    unetseg_model *m = build();
    set_param(m, "c2/kernel", 0.7); /* layers start with zero weights */
    set_param(m, "c1/kernel", f);
    unetseg_tensor_free(forward(m));
    *y = forward(m);
    assert_true(kept_bytes(m) > 0);
    return m;
}

static void param_set_drops_cache(void **state) {
    (void)state;
    unetseg_tensor *before = NULL, *ref = NULL;
    unetseg_model *m = warm(1.1, &before), *fresh = warm(2.3, &ref);
    set_param(m, "c1/kernel", 2.3);
    unetseg_tensor *after = forward(m);
    assert_same(after, ref, 1);
    assert_same(after, before, 0);
    unetseg_tensor_free(before), unetseg_tensor_free(ref), unetseg_tensor_free(after);
    unetseg_model_free(m), unetseg_model_free(fresh);
}

static void load_weights_drops_cache(void **state) {
    (void)state;
    char path[] = "/tmp/unetseg_cache_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unetseg_tensor *before = NULL, *ref = NULL;
    unetseg_model *m = warm(1.1, &before), *fresh = warm(2.3, &ref);
    assert_ok(unetseg_model_save_weights(fresh, path));
    assert_ok(unetseg_model_load_weights(m, path, UNETSEG_LOAD_STRICT, NULL));
    unetseg_tensor *after = forward(m);
    assert_same(after, ref, 1);
    unlink(path);
    unetseg_tensor_free(before), unetseg_tensor_free(ref), unetseg_tensor_free(after);
    unetseg_model_free(m), unetseg_model_free(fresh);
}

static void trainer_step_drops_cache(void **state) {
    (void)state;
    unetseg_tensor *before = NULL;
    unetseg_model *m = warm(1.1, &before);
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(&o));
    assert_ok(unetseg_trainer_create(m, o, &t));
    unetseg_tensor *x = input(), *mask = make_tensor4(1, 32, 32, 1, NULL);
    assert_ok(unetseg_trainer_step(t, x, mask, NULL));
    unetseg_tensor *after = forward(m);
    /* the fresh model gets every trained parameter of m */
    unetseg_model *fresh = build(); /* zero weights until set */
    const char *names[] = {"c1/kernel", "c1/bias", "c2/kernel", "c2/bias"};
    for (int i = 0; i < 4; i++) {
        unetseg_tensor *p = NULL;
        assert_ok(unetseg_model_param_get(m, names[i], &p));
        assert_ok(unetseg_model_param_set(fresh, names[i], p));
        unetseg_tensor_free(p);
    }
    unetseg_tensor *ref = forward(fresh);
    assert_same(after, ref, 1);
    assert_same(after, before, 0);
    unetseg_tensor_free(x), unetseg_tensor_free(mask), unetseg_tensor_free(before);
    unetseg_tensor_free(after), unetseg_tensor_free(ref);
    unetseg_trainer_free(t), unetseg_train_options_free(o);
    unetseg_model_free(m), unetseg_model_free(fresh);
}

/* A model's first pass at an input shape keeps no kernel, the second does;
 * unetseg_model_set_kernel_cache_limit: lowering it drops the kept kernel,
 * a bound below a kernel's size keeps none, a larger one keeps it again;
 * the output never changes. */
static void cache_limit_bounds_kept_kernels(void **state) {
    (void)state;
    unetseg_model *m = build();
    set_param(m, "c1/kernel", 0.3);
    unetseg_tensor *y0 = forward(m);
    assert_int_equal(kept_bytes(m), 0); /* a first pass at a shape makes no kernel */
    unetseg_tensor *again = forward(m);
    assert_same(y0, again, 1);
    unetseg_tensor_free(again);
    const int64_t kept = kept_bytes(m);
    assert_int_equal(kept, 36 * 8 * 32 * (int64_t)sizeof(float)); /* F(4x4): 36 planes of 8 x 32 */
    assert_ok(unetseg_model_set_kernel_cache_limit(m, 0));
    assert_int_equal(kept_bytes(m), 0);
    unetseg_tensor *y1 = forward(m);
    assert_int_equal(kept_bytes(m), 0);
    assert_same(y0, y1, 1);
    assert_ok(unetseg_model_set_kernel_cache_limit(m, kept - 1));
    unetseg_tensor *y2 = forward(m);
    assert_int_equal(kept_bytes(m), 0);
    assert_same(y0, y2, 1);
    assert_ok(unetseg_model_set_kernel_cache_limit(m, kept));
    unetseg_tensor *y3 = forward(m);
    assert_int_equal(kept_bytes(m), kept);
    assert_same(y0, y3, 1);
    assert_int_equal(unetseg_model_set_kernel_cache_limit(m, -1), UNETSEG_E_INVALID_ARG);
    assert_non_null(strstr(unetseg_last_error(), "negative"));
    assert_int_equal(kept_bytes(m), kept);
    unetseg_tensor_free(y0), unetseg_tensor_free(y1), unetseg_tensor_free(y2), unetseg_tensor_free(y3);
    unetseg_model_free(m);
}

/* c1 (32x32 map: 64 tiles of F(4x4)) -> pooling -> c2 (16x16: 16 tiles)
 * -> c3 (one output channel: no Winograd kernel), on `threads` threads,
 * run twice with every kernel kept; *all is the output, *c1 and *c2 the
 * bytes of their transformed kernels. */
static unetseg_model *two_maps(int32_t threads, unetseg_tensor **all, int64_t *c1, int64_t *c2) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 32, 32, 8));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "in", 32, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "c1", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    assert_ok(unetseg_model_add_conv2d(m, "c2", "pool", 32, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "c3", "c2", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    set_param(m, "c1/kernel", 0.3);
    set_param(m, "c2/kernel", 0.9);
    set_param(m, "c3/kernel", 0.7);
    assert_ok(unetseg_model_set_threads(m, threads));
    *c1 = 36 * 8 * 32 * (int64_t)sizeof(float), *c2 = 36 * 32 * 32 * (int64_t)sizeof(float);
    unetseg_tensor_free(forward(m));
    *all = forward(m);
    assert_int_equal(kept_bytes(m), *c1 + *c2);
    return m;
}

/* The bytes of transformed kernels a pass keeps under `budget`, starting
 * from none kept; its output must be `all`. */
static int64_t kept_under(unetseg_model *m, int64_t budget, const unetseg_tensor *all) {
    assert_ok(unetseg_model_set_kernel_cache_limit(m, 0)); /* drops them all */
    assert_ok(unetseg_model_set_kernel_cache_limit(m, budget));
    unetseg_tensor *y = forward(m);
    assert_same(y, all, 1);
    unetseg_tensor_free(y);
    return kept_bytes(m);
}

/* A budget too small for every kernel goes to the ones that save most per
 * byte. On one thread each kernel not kept is transformed once a pass, and
 * the saving weighs most where the fewest tiles share it: c2 before c1,
 * whatever their place in the layer list (a first-come cache kept c1);
 * with room for c1 alone, c1. The output is the same under every budget. */
static void cache_keeps_fewest_tiles_first(void **state) {
    (void)state;
    unetseg_tensor *all = NULL;
    int64_t c1, c2;
    unetseg_model *m = two_maps(1, &all, &c1, &c2);
    assert_int_equal(kept_under(m, c2, all), c2);
    assert_int_equal(kept_under(m, c1, all), c1);
    unetseg_tensor_free(all);
    unetseg_model_free(m);
}

/* On two threads c1's 64 tiles make a chunk per thread, and each chunk
 * transforms a kernel that is not kept again (c2's 16 tiles are one chunk
 * on both threads: once a pass): c1, transformed twice a pass, goes first,
 * although c2 has fewer tiles. */
static void cache_keeps_most_transformed_first(void **state) {
    (void)state;
    unetseg_tensor *all = NULL;
    int64_t c1, c2;
    unetseg_model *m = two_maps(2, &all, &c1, &c2);
    assert_int_equal(kept_under(m, c2, all), c1);
    assert_int_equal(kept_under(m, c1 + c2, all), c1 + c2);
    unetseg_tensor_free(all);
    unetseg_model_free(m);
}

/* Among kernels shared by as many tiles, F(2x2)'s come first, then the
 * larger: c2 (8x8 map by F(2x2), 16 tiles, 64 KiB) before c1 (16x16 by
 * F(4x4), 16 tiles, 288 KiB), which the larger-first rule would keep
 * under a budget of c1's size. */
static void cache_keeps_f2x2_first_among_equals(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 32, 32, 8));
    /* 1x1: no Winograd kernel */
    assert_ok(unetseg_model_add_conv2d(m, "c0", "in", 64, 1, 1, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool0", "c0", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "pool0", 32, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "c1", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    assert_ok(unetseg_model_add_conv2d(m, "c2", "pool", 32, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    set_param(m, "c0/kernel", 0.5);
    set_param(m, "c1/kernel", 0.3);
    set_param(m, "c2/kernel", 0.9);
    const int64_t c1 = 36 * 64 * 32 * (int64_t)sizeof(float), c2 = 16 * 32 * 32 * (int64_t)sizeof(float);
    unetseg_tensor_free(forward(m));
    unetseg_tensor *all = forward(m);
    assert_int_equal(kept_bytes(m), c1 + c2);
    assert_ok(unetseg_model_set_kernel_cache_limit(m, 0));
    assert_ok(unetseg_model_set_kernel_cache_limit(m, c1));
    unetseg_tensor *y = forward(m);
    assert_int_equal(kept_bytes(m), c2);
    assert_same(y, all, 1);
    unetseg_tensor_free(y);
    unetseg_tensor_free(all);
    unetseg_model_free(m);
}

/* The default bound is 48 MiB: a 600 -> 600 conv at 16x16, whose F(4x4)
 * kernel takes 36 x 600 x 600 floats or more (51.8 MB; packed for the GEMM
 * variant), is not kept until the bound is raised; the output is the same
 * bits either way. */
static void default_bound_is_48_mib(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 16, 16, 600));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "in", 600, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    set_param(m, "c1/kernel", 0.3);
    unetseg_tensor *x = input_of(16, 16, 600), *y0 = NULL, *y1 = NULL;
    assert_ok(unetseg_model_forward(m, x, &y0));
    unetseg_tensor_free(y0);
    assert_ok(unetseg_model_forward(m, x, &y0)); /* a second pass keeps what fits */
    assert_int_equal(kept_bytes(m), 0);
    assert_ok(unetseg_model_set_kernel_cache_limit(m, (int64_t)64 << 20));
    assert_ok(unetseg_model_forward(m, x, &y1));
    assert_int_equal(kept_bytes(m), us_winograd_kernel_floats(4, 600, 600) * (int64_t)sizeof(float));
    assert_same(y0, y1, 1);
    unetseg_tensor_free(y0), unetseg_tensor_free(y1), unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* A small map's GEMM-path convs keep their kernels packed (8x8x16 input:
 * a 3x3 stride-2 conv to 64 channels, 4x4 = 16 output pixels, then a 1x1
 * to 48 and the narrow head, which keeps nothing): the second pass keeps
 * both, in the GEMM's packed size, and every pass gives the first pass's
 * bits, whatever the budget; with room for one, the larger goes first as
 * among Winograd kernels of equal tiles (both have 16 output pixels). */
static void small_maps_keep_packed_gemm_kernels(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 8, 8, 16));
    assert_ok(unetseg_model_add_conv2d(m, "s2", "in", 64, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "c1x1", "s2", 48, 1, 1, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "head", "c1x1", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    set_param(m, "s2/kernel", 0.3);
    set_param(m, "c1x1/kernel", 0.9);
    set_param(m, "head/kernel", 0.7);
    unetseg_tensor *x = input_of(8, 8, 16), *first = NULL, *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &first));
    assert_int_equal(kept_bytes(m), 0);
    const int64_t s2 = us_prepared_kernel_floats(US_PREPARED_GEMM, 9 * 16, 64) * (int64_t)sizeof(float);
    const int64_t c1x1 = us_prepared_kernel_floats(US_PREPARED_GEMM, 64, 48) * (int64_t)sizeof(float);
    assert_true(s2 >= 9 * 16 * 64 * (int64_t)sizeof(float) && c1x1 >= 64 * 48 * (int64_t)sizeof(float));
    for (int32_t threads = 1; threads <= 2; threads++) {
        assert_ok(unetseg_model_set_threads(m, threads));
        for (int pass = 0; pass < 2; pass++) {
            assert_ok(unetseg_model_forward(m, x, &y));
            assert_int_equal(kept_bytes(m), s2 + c1x1);
            assert_same(y, first, 1);
            unetseg_tensor_free(y);
        }
    }
    assert_ok(unetseg_model_set_kernel_cache_limit(m, 0)); /* drops them all */
    assert_ok(unetseg_model_set_kernel_cache_limit(m, s2 > c1x1 ? s2 : c1x1));
    assert_ok(unetseg_model_forward(m, x, &y));
    assert_int_equal(kept_bytes(m), s2 > c1x1 ? s2 : c1x1);
    assert_same(y, first, 1);
    unetseg_tensor_free(y), unetseg_tensor_free(x), unetseg_tensor_free(first);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(cache_limit_bounds_kept_kernels),
                                       cmocka_unit_test(cache_keeps_fewest_tiles_first),
                                       cmocka_unit_test(cache_keeps_most_transformed_first),
                                       cmocka_unit_test(cache_keeps_f2x2_first_among_equals),
                                       cmocka_unit_test(default_bound_is_48_mib),
                                       cmocka_unit_test(small_maps_keep_packed_gemm_kernels),
                                       cmocka_unit_test(param_set_drops_cache),
                                       cmocka_unit_test(load_weights_drops_cache),
                                       cmocka_unit_test(trainer_step_drops_cache)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
