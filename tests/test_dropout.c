/* Dropout, SpatialDropout2D and ConditionalDropout: mask statistics, inverted
 * scaling, determinism, the Monte-Carlo switch and Monte-Carlo prediction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "graph/exec.h"
#include "ops/ops.h"
#include "support/test_support.h"

/* Dropped fraction of 1e6 elements within 5 sigma of the rate; survivors are
 * x * 1/(1-rate) exactly (Keras/tf.nn.dropout compute it this way). */
static void elementwise_statistics(void **state) {
    (void)state;
    const int64_t n = 1000000;
    const double rates[3] = {0.1, 0.3, 0.75};
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    uint8_t *mask = malloc(n);
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f + (float)(i % 97);
    for (int r = 0; r < 3; r++) {
        double rate = rates[r];
        us_dropout_forward(x, 1, n, 1, rate, 0, us_rng_key(42, 7, 3), y, mask);
        int64_t dropped = 0;
        const float scale = (float)(1.0 / (1.0 - rate));
        for (int64_t i = 0; i < n; i++) {
            if (!mask[i]) {
                dropped++;
                assert_true(y[i] == 0.0f);
            } else {
                assert_true(y[i] == x[i] * scale);
                assert_true(fabs(y[i] - x[i] / (1.0 - rate)) <= 1e-6 * fabs(y[i]));
            }
        }
        double sigma = sqrt(rate * (1 - rate) / n);
        assert_true(fabs((double)dropped / n - rate) <= 5 * sigma);
    }
    free(x);
    free(y);
    free(mask);
}

/* One draw per (sample, channel), shared over H and W; draws independent
 * across samples and channels (fraction and neighbour agreement). */
static void spatial_masks(void **state) {
    (void)state;
    const int64_t n = 50, h = 4, w = 5, c = 2000, pixels = h * w;
    const double rate = 0.4;
    float *x = malloc((size_t)(n * pixels * c) * sizeof(float));
    float *y = malloc((size_t)(n * pixels * c) * sizeof(float));
    for (int64_t i = 0; i < n * pixels * c; i++) x[i] = 1.0f;
    us_dropout_forward(x, n, pixels, c, rate, 1, us_rng_key(1, 2, 3), y, NULL);
    int64_t dropped = 0, agree_channel = 0, agree_sample = 0;
    for (int64_t b = 0; b < n; b++)
        for (int64_t k = 0; k < c; k++) {
            float v = y[(b * pixels) * c + k];
            for (int64_t p = 1; p < pixels; p++) assert_true(y[(b * pixels + p) * c + k] == v);
            dropped += v == 0.0f;
            if (k + 1 < c) agree_channel += (v == 0.0f) == (y[(b * pixels) * c + k + 1] == 0.0f);
            if (b + 1 < n) agree_sample += (v == 0.0f) == (y[((b + 1) * pixels) * c + k] == 0.0f);
        }
    const double draws = (double)(n * c), sigma = sqrt(rate * (1 - rate) / draws);
    assert_true(fabs(dropped / draws - rate) <= 5 * sigma);
    /* independent neighbours agree with probability r^2 + (1-r)^2 = 0.52 */
    double p_agree = rate * rate + (1 - rate) * (1 - rate);
    double pairs_c = (double)(n * (c - 1)), pairs_s = (double)((n - 1) * c);
    assert_true(fabs(agree_channel / pairs_c - p_agree) <= 5 * sqrt(p_agree * (1 - p_agree) / pairs_c));
    assert_true(fabs(agree_sample / pairs_s - p_agree) <= 5 * sqrt(p_agree * (1 - p_agree) / pairs_s));
    free(x);
    free(y);
}

/* data -> kind -> out, for the public-API tests. */
static unetseg_model *dropout_model(int32_t kind, double rate, int32_t mode, int32_t spatial) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 16, 16, 8));
    if (kind == UNETSEG_LAYER_DROPOUT) assert_ok(unetseg_model_add_dropout(m, "drop", "data", rate));
    if (kind == UNETSEG_LAYER_SPATIAL_DROPOUT2D)
        assert_ok(unetseg_model_add_spatial_dropout2d(m, "drop", "data", rate));
    if (kind == UNETSEG_LAYER_CONDITIONAL_DROPOUT)
        assert_ok(unetseg_model_add_conditional_dropout(m, "drop", "data", rate, mode, spatial));
    assert_ok(unetseg_model_add_activation(m, "out", "drop", UNETSEG_ACT_LINEAR));
    return m;
}

static unetseg_tensor *ones(int64_t n) {
    unetseg_tensor *t = make_tensor4(n, 16, 16, 8, NULL);
    for (int64_t i = 0; i < n * 16 * 16 * 8; i++) unetseg_tensor_data(t)[i] = 1.0f;
    return t;
}

static int is_identity(const unetseg_tensor *y) {
    const float *d = unetseg_tensor_data((unetseg_tensor *)y);
    for (int64_t i = 0; i < 16 * 16 * 8; i++)
        if (d[i] != 1.0f) return 0;
    return 1;
}

static unetseg_tensor *run(unetseg_model *m, unetseg_tensor *x) {
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    return y;
}

static void modes_and_mc_switch(void **state) {
    (void)state;
    unetseg_tensor *x = ones(1), *y;
    /* plain Dropout / SpatialDropout2D: identity in inference, switch or not */
    int32_t kinds[2] = {UNETSEG_LAYER_DROPOUT, UNETSEG_LAYER_SPATIAL_DROPOUT2D};
    for (int k = 0; k < 2; k++) {
        unetseg_model *m = dropout_model(kinds[k], 0.5, 0, 0);
        y = run(m, x);
        assert_true(is_identity(y));
        unetseg_tensor_free(y);
        assert_ok(unetseg_model_set_mc_dropout(m, 1));
        y = run(m, x);
        assert_true(is_identity(y));
        unetseg_tensor_free(y);
        unetseg_model_free(m);
    }
    /* ConditionalDropout TRAINING: off in inference, on with the MC switch */
    unetseg_model *m = dropout_model(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.5, UNETSEG_DROPOUT_TRAINING, 0);
    y = run(m, x);
    assert_true(is_identity(y));
    unetseg_tensor_free(y);
    assert_ok(unetseg_model_set_mc_dropout(m, 1));
    y = run(m, x);
    assert_false(is_identity(y));
    unetseg_tensor_free(y);
    assert_ok(unetseg_model_set_mc_dropout(m, 0));
    y = run(m, x);
    assert_true(is_identity(y));
    unetseg_tensor_free(y);
    assert_status(unetseg_model_set_mc_dropout(m, 2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_mc_dropout(NULL, 1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_seed(NULL, 1), UNETSEG_E_INVALID_ARG);
    unetseg_model_free(m);
    /* ALWAYS: on in plain inference; NEVER: off even with the switch */
    m = dropout_model(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.5, UNETSEG_DROPOUT_ALWAYS, 0);
    y = run(m, x);
    assert_false(is_identity(y));
    unetseg_tensor_free(y);
    unetseg_model_free(m);
    m = dropout_model(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.5, UNETSEG_DROPOUT_NEVER, 0);
    assert_ok(unetseg_model_set_mc_dropout(m, 1));
    y = run(m, x);
    assert_true(is_identity(y));
    unetseg_tensor_free(y);
    unetseg_model_free(m);
    /* rate 0 is the identity even when active */
    m = dropout_model(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.0, UNETSEG_DROPOUT_ALWAYS, 0);
    y = run(m, x);
    assert_true(is_identity(y));
    unetseg_tensor_free(y);
    unetseg_model_free(m);
    unetseg_tensor_free(x);
}

/* Same seed, same masks; each forward advances the step; spatial
 * ConditionalDropout drops whole channels. */
static void seeds_and_steps(void **state) {
    (void)state;
    unetseg_model *m = dropout_model(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.5, UNETSEG_DROPOUT_ALWAYS, 1);
    unetseg_tensor *x = ones(2);
    const size_t bytes = 2 * 16 * 16 * 8 * sizeof(float);
    assert_ok(unetseg_model_set_seed(m, 5));
    unetseg_tensor *a1 = run(m, x), *a2 = run(m, x);
    assert_ok(unetseg_model_set_seed(m, 5));
    unetseg_tensor *b1 = run(m, x);
    assert_ok(unetseg_model_set_seed(m, 6));
    unetseg_tensor *c1 = run(m, x);
    assert_memory_equal(unetseg_tensor_data(a1), unetseg_tensor_data(b1), bytes);
    assert_memory_not_equal(unetseg_tensor_data(a1), unetseg_tensor_data(a2), bytes);
    assert_memory_not_equal(unetseg_tensor_data(a1), unetseg_tensor_data(c1), bytes);
    /* spatial: each (sample, channel) is all 0 or all 2 */
    const float *d = unetseg_tensor_data(a1);
    for (int64_t b = 0; b < 2; b++)
        for (int64_t k = 0; k < 8; k++)
            for (int64_t p = 0; p < 256; p++) {
                float v = d[(b * 256 + p) * 8 + k];
                assert_true(v == 0.0f || v == 2.0f);
                assert_true(v == d[(b * 256) * 8 + k]);
            }
    unetseg_tensor_free(a1);
    unetseg_tensor_free(a2);
    unetseg_tensor_free(b1);
    unetseg_tensor_free(c1);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* data -> conv 3x3 -> bn -> ConditionalDropout(TRAINING) -> conv 1x1 -> sigmoid */
static unetseg_model *mc_model(double rate) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 3));
    assert_ok(unetseg_model_add_conv2d(m, "conv", "data", 16, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_batchnorm(m, "bn", "conv", 1e-3, 0.99, 1, 1));
    assert_ok(unetseg_model_add_conditional_dropout(m, "drop", "bn", rate, UNETSEG_DROPOUT_TRAINING, 0));
    assert_ok(unetseg_model_add_conv2d(m, "head", "drop", 1, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID));
    const char *names[3] = {"conv/kernel", "head/kernel", "bn/moving_variance"};
    for (int i = 0; i < 3; i++) {
        unetseg_tensor *t = NULL;
        int64_t n;
        assert_ok(unetseg_model_param_get(m, names[i], &t));
        assert_ok(unetseg_tensor_numel(t, &n));
        for (int64_t k = 0; k < n; k++)
            unetseg_tensor_data(t)[k] = (float)(0.5 * sin(1.7 * (double)k + i) + (i == 2 ? 1.0 : 0.0));
        assert_ok(unetseg_model_param_set(m, names[i], t));
        unetseg_tensor_free(t);
    }
    return m;
}

static unetseg_tensor *mc_input(void) {
    unetseg_tensor *x = make_tensor4(2, 8, 8, 3, NULL);
    for (int64_t i = 0; i < 2 * 8 * 8 * 3; i++) unetseg_tensor_data(x)[i] = (float)cos(0.3 * (double)i);
    return x;
}

static double max_abs_diff(unetseg_tensor *a, unetseg_tensor *b) {
    int64_t n;
    double d = 0;
    assert_ok(unetseg_tensor_numel(a, &n));
    for (int64_t i = 0; i < n; i++)
        d = fmax(d, fabs(unetseg_tensor_data(a)[i] - unetseg_tensor_data(b)[i]));
    return d;
}

static void mc_prediction(void **state) {
    (void)state;
    unetseg_model *m = mc_model(0.5);
    unetseg_tensor *x = mc_input(), *mean = NULL, *std = NULL, *ent = NULL;
    unetseg_tensor *mean2 = NULL, *std2 = NULL, *det = NULL;
    assert_ok(unetseg_model_predict_mc(m, x, 20, 11, &mean, &std, &ent));
    assert_ok(unetseg_model_predict_mc(m, x, 20, 11, &mean2, &std2, NULL));
    assert_true(max_abs_diff(mean, mean2) == 0.0); /* deterministic for a seed */
    assert_true(max_abs_diff(std, std2) == 0.0);
    int64_t shape[4];
    assert_ok(unetseg_tensor_shape(ent, shape, 4));
    assert_int_equal(shape[3], 1);
    /* std > 0 somewhere; entropy is the binary entropy of the mean */
    double max_std = 0;
    for (int64_t i = 0; i < 128; i++) {
        double p = unetseg_tensor_data(mean)[i];
        double h = -p * log(p) - (1 - p) * log(1 - p);
        assert_float_equal(unetseg_tensor_data(ent)[i], h, 1e-5);
        max_std = fmax(max_std, unetseg_tensor_data(std)[i]);
    }
    assert_true(max_std > 1e-3);
    /* the MC switch was not left on: plain forward is deterministic */
    unetseg_tensor *det2 = NULL;
    assert_ok(unetseg_model_forward(m, x, &det));
    assert_ok(unetseg_model_forward(m, x, &det2));
    assert_true(max_abs_diff(det, det2) == 0.0);
    unetseg_tensor_free(det2);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_tensor_free(ent);
    unetseg_tensor_free(mean2);
    unetseg_tensor_free(std2);
    unetseg_tensor_free(det);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* As rate -> 0 the MC mean converges to the deterministic output and the
 * spread vanishes. */
static void mc_mean_converges_as_rate_goes_to_zero(void **state) {
    (void)state;
    unetseg_tensor *x = mc_input();
    double prev = INFINITY;
    const double rates[4] = {0.5, 0.05, 0.0005, 1e-6};
    for (int r = 0; r < 4; r++) {
        unetseg_model *m = mc_model(rates[r]);
        unetseg_tensor *det = NULL, *mean = NULL, *std = NULL;
        assert_ok(unetseg_model_forward(m, x, &det));
        assert_ok(unetseg_model_predict_mc(m, x, 50, 3, &mean, &std, NULL));
        double gap = max_abs_diff(mean, det);
        printf("  rate %-8g max gap mean-vs-deterministic %.3g\n", rates[r], gap);
        assert_true(gap < prev);
        prev = gap;
        unetseg_tensor_free(det);
        unetseg_tensor_free(mean);
        unetseg_tensor_free(std);
        unetseg_model_free(m);
    }
    assert_true(prev < 1e-4);
    /* rate 0: exactly the deterministic output, zero spread */
    unetseg_model *m = mc_model(0.0);
    unetseg_tensor *det = NULL, *mean = NULL, *std = NULL;
    assert_ok(unetseg_model_forward(m, x, &det));
    assert_ok(unetseg_model_predict_mc(m, x, 5, 3, &mean, &std, NULL));
    assert_true(max_abs_diff(mean, det) <= 1e-7);
    for (int64_t i = 0; i < 128; i++) assert_true(unetseg_tensor_data(std)[i] <= 1e-7f);
    unetseg_tensor_free(det);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_model_free(m);
    unetseg_tensor_free(x);
}

/* Masks never depend on the thread count (OpenBLAS threads 1 vs 2). */
static void independent_of_thread_count(void **state) {
    (void)state;
    unetseg_model *m = mc_model(0.3);
    unetseg_tensor *x = mc_input(), *a = NULL, *b = NULL;
    assert_ok(unetseg_model_set_threads(m, 1));
    assert_ok(unetseg_model_predict_mc(m, x, 10, 9, &a, NULL, NULL));
    assert_ok(unetseg_model_set_threads(m, 2));
    assert_ok(unetseg_model_predict_mc(m, x, 10, 9, &b, NULL, NULL));
    assert_status(unetseg_model_set_threads(m, -1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_threads(m, 257), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_threads(NULL, 1), UNETSEG_E_INVALID_ARG);
    assert_true(max_abs_diff(a, b) == 0.0);
    unetseg_tensor_free(a);
    unetseg_tensor_free(b);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* predict_mc runs the deterministic prefix (here the whole encoder) once;
 * the result equals T full passes computed independently. */
static void mc_prefix_reuse_matches_full_passes(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *io = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_matcher_parse("kind=conv2d & region=decoder", &mt));
    assert_ok(unetseg_insert_options_create(&io));
    assert_ok(unetseg_insert_options_set_kind(io, UNETSEG_LAYER_SPATIAL_DROPOUT2D));
    assert_ok(unetseg_insert_options_set_rate(io, 0.3));
    assert_ok(unetseg_model_insert_dropout(m, mt, io, NULL));
    unetseg_tensor *x = make_tensor4(2, 64, 64, 3, NULL), *mean = NULL, *std = NULL;
    for (int64_t i = 0; i < 2 * 64 * 64 * 3; i++) unetseg_tensor_data(x)[i] = (float)(i * 13 % 255) / 25.0f;
    const int32_t T = 4;
    assert_ok(unetseg_model_predict_mc(m, x, T, 21, &mean, &std, NULL));
    double sum[2 * 64 * 64] = {0}, sum2[2 * 64 * 64] = {0};
    for (int32_t t = 0; t < T; t++) {
        us_exec_ctx ctx = {.all_dropout = 1, .seed = 21, .step = (uint64_t)t};
        unetseg_tensor *y = NULL;
        assert_ok(us_model_run(m, &ctx, x, NULL, NULL, &y));
        for (int64_t i = 0; i < 2 * 64 * 64; i++) {
            sum[i] += unetseg_tensor_data(y)[i];
            sum2[i] += (double)unetseg_tensor_data(y)[i] * unetseg_tensor_data(y)[i];
        }
        unetseg_tensor_free(y);
    }
    double max_std = 0;
    for (int64_t i = 0; i < 2 * 64 * 64; i++) {
        double mu = sum[i] / T, sd = sqrt(fmax(sum2[i] / T - mu * mu, 0));
        assert_float_equal(unetseg_tensor_data(mean)[i], mu, 1e-6);
        assert_float_equal(unetseg_tensor_data(std)[i], sd, 1e-4);
        max_std = fmax(max_std, sd);
    }
    assert_true(max_std > 1e-4); /* the dropout really was active */
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_tensor_free(x);
    unetseg_insert_options_free(io);
    unetseg_matcher_free(mt);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

static void mc_bad_arguments(void **state) {
    (void)state;
    unetseg_model *m = mc_model(0.3);
    unetseg_tensor *x = mc_input(), *mean = (unetseg_tensor *)0x1, *bad = make_tensor4(1, 8, 8, 4, NULL);
    assert_status(unetseg_model_predict_mc(m, x, 0, 1, &mean, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_null(mean);
    assert_status(unetseg_model_predict_mc(m, x, 1001, 1, &mean, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("1..1000");
    assert_status(unetseg_model_predict_mc(NULL, x, 5, 1, &mean, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_predict_mc(m, NULL, 5, 1, &mean, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_predict_mc(m, bad, 5, 1, &mean, NULL, NULL), UNETSEG_E_SHAPE);
    assert_ok(unetseg_model_predict_mc(m, x, 1000, 1, &mean, NULL, NULL)); /* T = 1000 works */
    unetseg_tensor_free(mean);
    unetseg_tensor_free(bad);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elementwise_statistics),
        cmocka_unit_test(spatial_masks),
        cmocka_unit_test(modes_and_mc_switch),
        cmocka_unit_test(seeds_and_steps),
        cmocka_unit_test(mc_prediction),
        cmocka_unit_test(mc_mean_converges_as_rate_goes_to_zero),
        cmocka_unit_test(independent_of_thread_count),
        cmocka_unit_test(mc_bad_arguments),
        cmocka_unit_test(mc_prefix_reuse_matches_full_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
