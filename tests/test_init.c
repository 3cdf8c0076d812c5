/* Keras-style initialisation: he_uniform for backbone and decoder convs,
 * glorot_uniform for final_conv and Conv2DTranspose, zero biases, BN
 * gamma=1, beta=0, moving_mean=0, moving_variance=1; seeded. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "support/test_support.h"

#include "core/rng.h"

static unetseg_model *build(const char *decoder, uint64_t seed, int use_bn) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_decoder_block_type(o, decoder));
    assert_ok(unetseg_unet_options_set_decoder_use_batchnorm(o, use_bn));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_options_set_seed(o, seed));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    return m;
}

/* Values lie in [-limit, limit], fill it (max close to the limit) and have
 * the variance of U(-limit, limit) = limit^2 / 3. */
static void assert_uniform(unetseg_model *m, const char *name, double limit) {
    unetseg_tensor *t = NULL;
    int64_t n;
    assert_ok(unetseg_model_param_get(m, name, &t));
    assert_ok(unetseg_tensor_numel(t, &n));
    const float *d = unetseg_tensor_data(t);
    double max_abs = 0, sum = 0, sum2 = 0;
    for (int64_t i = 0; i < n; i++) {
        max_abs = fmax(max_abs, fabs(d[i]));
        sum += d[i];
        sum2 += (double)d[i] * d[i];
    }
    double mean = sum / n, var = sum2 / n - mean * mean, want = limit * limit / 3;
    assert_true(max_abs <= limit * (1 + 1e-6));
    assert_true(max_abs >= limit * 0.95);
    /* 5 standard errors of the variance estimate of a uniform: var*sqrt(0.8/n) */
    assert_true(fabs(var - want) <= 5 * want * sqrt(0.8 / n));
    assert_true(fabs(mean) <= 5 * limit / sqrt(3.0 * n));
    unetseg_tensor_free(t);
}

static void assert_constant(unetseg_model *m, const char *name, float value) {
    unetseg_tensor *t = NULL;
    int64_t n;
    assert_ok(unetseg_model_param_get(m, name, &t));
    assert_ok(unetseg_tensor_numel(t, &n));
    for (int64_t i = 0; i < n; i++) assert_float_equal(unetseg_tensor_data(t)[i], value, 0);
    unetseg_tensor_free(t);
}

static void initializers_match_keras(void **state) {
    (void)state;
    unetseg_model *m = build("upsampling", 1, 1);
    assert_uniform(m, "conv0/kernel", sqrt(6.0 / (7 * 7 * 3)));                  /* he */
    assert_uniform(m, "stage3_unit1_conv1/kernel", sqrt(6.0 / (3 * 3 * 128)));   /* he */
    assert_uniform(m, "stage2_unit1_sc/kernel", sqrt(6.0 / 64));                 /* he */
    assert_uniform(m, "decoder_stage0a_conv/kernel", sqrt(6.0 / (9 * 768)));     /* he */
    assert_uniform(m, "final_conv/kernel", sqrt(6.0 / (9 * 16 + 9 * 1)));        /* glorot */
    assert_constant(m, "final_conv/bias", 0.0f);
    assert_constant(m, "bn_data/beta", 0.0f);
    assert_constant(m, "bn_data/moving_mean", 0.0f);
    assert_constant(m, "bn_data/moving_variance", 1.0f);
    assert_constant(m, "decoder_stage2b_bn/gamma", 1.0f);
    unetseg_model_free(m);

    m = build("transpose", 1, 0);
    /* Conv2DTranspose (4,4,256,512): Keras fans use the last two dims */
    assert_uniform(m, "decoder_stage0a_transpose/kernel", sqrt(6.0 / (16 * 256 + 16 * 512)));
    assert_constant(m, "decoder_stage0a_transpose/bias", 0.0f);
    assert_constant(m, "decoder_stage1b_conv/bias", 0.0f);
    unetseg_model_free(m);
}

static void seeded(void **state) {
    (void)state;
    unetseg_model *a = build("upsampling", 7, 1), *b = build("upsampling", 7, 1);
    unetseg_model *c = build("upsampling", 8, 1);
    unetseg_tensor *ta = NULL, *tb = NULL, *tc = NULL;
    assert_ok(unetseg_model_param_get(a, "stage4_unit2_conv2/kernel", &ta));
    assert_ok(unetseg_model_param_get(b, "stage4_unit2_conv2/kernel", &tb));
    assert_ok(unetseg_model_param_get(c, "stage4_unit2_conv2/kernel", &tc));
    int64_t n;
    assert_ok(unetseg_tensor_numel(ta, &n));
    assert_memory_equal(unetseg_tensor_data(ta), unetseg_tensor_data(tb), (size_t)n * sizeof(float));
    assert_memory_not_equal(unetseg_tensor_data(ta), unetseg_tensor_data(tc), (size_t)n * sizeof(float));
    unetseg_tensor_free(ta);
    unetseg_tensor_free(tb);
    unetseg_tensor_free(tc);
    unetseg_model_free(a);
    unetseg_model_free(b);
    unetseg_model_free(c);
}

/* Every kernel value is draw i of its layer's stream, one at a time in
 * plain C here: the library's vectorised fill (an AVX-512 clone where the
 * CPU has it) must give the same bits. */
static void draws_are_the_scalar_formula(void **state) {
    (void)state;
    unetseg_model *m = build("upsampling", 7, 1);
    const char *layers[] = {"conv0", "stage3_unit1_conv1", "final_conv"};
    const double limits[] = {sqrt(6.0 / (7 * 7 * 3)), sqrt(6.0 / (3 * 3 * 128)),
                             sqrt(6.0 / (9 * 16 + 9 * 1))};
    for (int k = 0; k < 3; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s/kernel", layers[k]);
        unetseg_tensor *t = NULL;
        int64_t n;
        assert_ok(unetseg_model_param_get(m, name, &t));
        assert_ok(unetseg_tensor_numel(t, &n));
        const float *d = unetseg_tensor_data(t);
        const uint64_t key = us_rng_key(7, us_hash_string(layers[k]), 0);
        int64_t differ = 0;
        for (int64_t i = 0; i < n; i++) {
            volatile double u = us_rng_uniform(key, (uint64_t)i); /* one draw at a time */
            const float want = (float)((2.0 * u - 1.0) * limits[k]);
            differ += memcmp(&want, &d[i], sizeof want) != 0;
        }
        assert_int_equal(differ, 0);
        unetseg_tensor_free(t);
    }
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initializers_match_keras),
        cmocka_unit_test(seeded),
        cmocka_unit_test(draws_are_the_scalar_formula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
