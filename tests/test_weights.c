/* Weights in safetensors: round trips, rebuilding from metadata, strict and
 * partial loading, dtype conversion, and hostile files at the public API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "support/formula.h"
#include "support/test_support.h"

static char tmpdir[] = "/tmp/unetseg-weights-XXXXXX";

static int setup(void **state) {
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

static const char *tmp_path(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* data -> conv (3x3 same, bias) -> bn -> relu -> conv 1x1: small but has
 * every kind of parameter. */
static unetseg_model *small_model(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 2));
    assert_ok(unetseg_model_add_conv2d(m, "conv_a", "data", 3, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_batchnorm(m, "bn_a", "conv_a", 1e-3, 0.99, 1, 1));
    assert_ok(unetseg_model_add_activation(m, "relu_a", "bn_a", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conv2d(m, "conv_b", "relu_a", 2, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 0));
    assert_ok(formula_fill_model(m));
    return m;
}

static unetseg_tensor *formula_input(int64_t n, int64_t h, int64_t w, int64_t c) {
    unetseg_tensor *t = make_tensor4(n, h, w, c, NULL);
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < n * h * w * c; i++) d[i] = (float)(255.0 * formula_u("input", i));
    return t;
}

static void assert_same_output(unetseg_model *a, unetseg_model *b, unetseg_tensor *input) {
    unetseg_tensor *ya = NULL, *yb = NULL;
    int64_t na, nb;
    assert_ok(unetseg_model_forward(a, input, &ya));
    assert_ok(unetseg_model_forward(b, input, &yb));
    assert_ok(unetseg_tensor_numel(ya, &na));
    assert_ok(unetseg_tensor_numel(yb, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(unetseg_tensor_data(ya), unetseg_tensor_data(yb), (size_t)na * sizeof(float));
    unetseg_tensor_free(ya);
    unetseg_tensor_free(yb);
}

static void unet_round_trip_is_bit_identical(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *a = NULL, *b = NULL, *c = NULL;
    const char *report = NULL, *sa, *sc;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_decoder_block_type(o, "transpose"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_create(o, &a));
    assert_ok(formula_fill_model(a));
    assert_ok(unetseg_model_save_weights(a, tmp_path("unet.safetensors")));

    /* same config, different init seed: load strictly */
    assert_ok(unetseg_unet_options_set_seed(o, 99));
    assert_ok(unetseg_unet_create(o, &b));
    assert_ok(unetseg_model_load_weights(b, tmp_path("unet.safetensors"), UNETSEG_LOAD_STRICT, &report));
    int32_t n_params = 0;
    char expect[64];
    assert_ok(unetseg_model_param_tensor_count(b, &n_params));
    snprintf(expect, sizeof expect, "loaded %d of %d parameter tensors", n_params, n_params);
    assert_string_equal(report, expect);

    /* rebuilt from the metadata alone */
    assert_ok(unetseg_model_load(tmp_path("unet.safetensors"), &c));
    assert_ok(unetseg_model_summary(a, &sa));
    assert_ok(unetseg_model_summary(c, &sc));
    assert_string_equal(sa, sc);

    unetseg_tensor *input = formula_input(1, 64, 64, 3);
    assert_same_output(a, b, input);
    assert_same_output(a, c, input);
    /* the rebuilt model keeps the U-Net's size rule */
    unetseg_tensor *odd = make_tensor4(1, 48, 64, 3, NULL), *y = NULL;
    assert_status(unetseg_model_forward(c, odd, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("divisible by 32");
    unetseg_tensor_free(odd);
    unetseg_tensor_free(input);
    unetseg_model_free(a);
    unetseg_model_free(b);
    unetseg_model_free(c);
    unetseg_unet_options_free(o);
}

/* Snapshot of all parameters, to prove a failed load changed nothing. */
static float *snapshot(unetseg_model *m, int64_t *count) {
    int32_t n = 0;
    float *all = NULL;
    *count = 0;
    assert_ok(unetseg_model_param_tensor_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *t = NULL;
        int64_t k;
        assert_ok(unetseg_model_param_tensor_name(m, i, &name));
        assert_ok(unetseg_model_param_get(m, name, &t));
        assert_ok(unetseg_tensor_numel(t, &k));
        all = realloc(all, (size_t)(*count + k) * sizeof(float));
        memcpy(all + *count, unetseg_tensor_data(t), (size_t)k * sizeof(float));
        *count += k;
        unetseg_tensor_free(t);
    }
    return all;
}

static void assert_unchanged(unetseg_model *m, const float *before, int64_t count) {
    int64_t n;
    float *now = snapshot(m, &n);
    assert_int_equal(n, count);
    assert_memory_equal(now, before, (size_t)n * sizeof(float));
    free(now);
}

static void strict_and_partial_loading(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    /* a file with only conv_a's kernel and bias, plus an unknown tensor */
    int64_t kshape[4] = {3, 3, 2, 3}, bshape[1] = {3}, xshape[1] = {5};
    float kernel[54], bias[3] = {1, 2, 3}, extra[5] = {0};
    for (int i = 0; i < 54; i++) kernel[i] = (float)i;
    us_st_tensor part[3] = {{"conv_a/kernel", 4, kshape, kernel},
                            {"conv_a/bias", 1, bshape, bias},
                            {"other/kernel", 1, xshape, extra}};
    assert_ok(us_st_write(tmp_path("part.safetensors"), part, 3, NULL, NULL, 0));

    int64_t count;
    float *before = snapshot(m, &count);
    const char *report = NULL;
    assert_status(unetseg_model_load_weights(m, tmp_path("part.safetensors"), UNETSEG_LOAD_STRICT,
                                             &report),
                  UNETSEG_E_NOT_FOUND);
    assert_error_mentions("bn_a/gamma");
    assert_null(report);
    assert_unchanged(m, before, count);

    assert_ok(unetseg_model_load_weights(m, tmp_path("part.safetensors"), UNETSEG_LOAD_PARTIAL,
                                         &report));
    assert_non_null(strstr(report, "loaded 2 of 7"));
    assert_non_null(strstr(report, "not in file: bn_a/gamma"));
    assert_non_null(strstr(report, "unused in file: other/kernel"));
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, "conv_a/bias", &t));
    assert_memory_equal(unetseg_tensor_data(t), bias, sizeof bias);
    unetseg_tensor_free(t);
    assert_ok(unetseg_model_param_get(m, "bn_a/gamma", &t)); /* untouched */
    assert_float_equal(unetseg_tensor_data(t)[0], before[54 + 3], 0);
    unetseg_tensor_free(t);
    free(before);

    /* a shape mismatch is an error in both modes, and changes nothing */
    int64_t wrong[4] = {3, 3, 2, 2};
    us_st_tensor bad[1] = {{"conv_a/kernel", 4, wrong, kernel}};
    assert_ok(us_st_write(tmp_path("bad.safetensors"), bad, 1, NULL, NULL, 0));
    before = snapshot(m, &count);
    assert_status(unetseg_model_load_weights(m, tmp_path("bad.safetensors"), UNETSEG_LOAD_PARTIAL,
                                             NULL),
                  UNETSEG_E_SHAPE);
    assert_error_mentions("conv_a/kernel");
    assert_unchanged(m, before, count);
    free(before);
    unetseg_model_free(m);
}

/* Write raw bytes to a file. */
static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A one-tensor safetensors image: header JSON + payload. */
static size_t build_file(unsigned char *buf, const char *header, const void *payload, size_t n) {
    uint64_t len = strlen(header);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(len >> (8 * i));
    memcpy(buf + 8, header, len);
    memcpy(buf + 8 + len, payload, n);
    return 8 + len + n;
}

static void f64_and_f16_are_converted(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    unsigned char buf[512];
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 4, 4, 2));
    assert_ok(unetseg_model_add_conv2d(m, "c", "data", 2, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    /* bias as F64 {0.5, -2}, kernel as F16 {1, -2, 0.5, 65504} */
    double bias[2] = {0.5, -2.0};
    uint16_t kernel[4] = {0x3C00, 0xC000, 0x3800, 0x7BFF};
    unsigned char payload[24];
    memcpy(payload, kernel, 8);
    memcpy(payload + 8, bias, 16);
    size_t n = build_file(buf,
                          "{\"c/kernel\":{\"dtype\":\"F16\",\"shape\":[1,1,2,2],\"data_offsets\":[0,8]},"
                          "\"c/bias\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]}}",
                          payload, sizeof payload);
    write_bytes(tmp_path("mixed.safetensors"), buf, n);
    assert_ok(unetseg_model_load_weights(m, tmp_path("mixed.safetensors"), UNETSEG_LOAD_STRICT, NULL));
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, "c/kernel", &t));
    const float want_k[4] = {1.0f, -2.0f, 0.5f, 65504.0f};
    assert_memory_equal(unetseg_tensor_data(t), want_k, sizeof want_k);
    unetseg_tensor_free(t);
    assert_ok(unetseg_model_param_get(m, "c/bias", &t));
    assert_float_equal(unetseg_tensor_data(t)[0], 0.5f, 0);
    assert_float_equal(unetseg_tensor_data(t)[1], -2.0f, 0);
    unetseg_tensor_free(t);
    unetseg_model_free(m);
}

static void hostile_files_are_format_errors(void **state) {
    (void)state;
    unetseg_model *m = small_model(), *out = NULL;
    unsigned char buf[512];
    float payload[4] = {0};
    int64_t count;
    float *before = snapshot(m, &count);
    struct {
        const char *what, *header;
        size_t payload_bytes;
    } cases[] = {
        {"offsets past the end",
         "{\"conv_b/kernel\":{\"dtype\":\"F32\",\"shape\":[1,1,3,2],\"data_offsets\":[0,24]}}", 8},
        {"overlapping ranges",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         16},
        {"absurd shape",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,16]}}",
         16},
        {"not json", "{\"a\": [", 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = build_file(buf, cases[i].header, payload, cases[i].payload_bytes);
        write_bytes(tmp_path("hostile.safetensors"), buf, n);
        int32_t st = unetseg_model_load_weights(m, tmp_path("hostile.safetensors"),
                                                UNETSEG_LOAD_PARTIAL, NULL);
        if (st != UNETSEG_E_FORMAT) print_error("case '%s': status %d\n", cases[i].what, st);
        assert_int_equal(st, UNETSEG_E_FORMAT);
        assert_true(strlen(unetseg_last_error()) > 0);
        assert_status(unetseg_model_load(tmp_path("hostile.safetensors"), &out), UNETSEG_E_FORMAT);
        assert_null(out);
    }
    /* header length larger than the file, and a truncated file */
    unsigned char big[16] = {0xff, 0xff, 0xff, 0x00, 0, 0, 0, 0, '{', '}'};
    write_bytes(tmp_path("big.safetensors"), big, sizeof big);
    assert_status(unetseg_model_load_weights(m, tmp_path("big.safetensors"), UNETSEG_LOAD_PARTIAL, NULL),
                  UNETSEG_E_FORMAT);
    write_bytes(tmp_path("short.safetensors"), big, 5);
    assert_status(unetseg_model_load_weights(m, tmp_path("short.safetensors"), UNETSEG_LOAD_PARTIAL, NULL),
                  UNETSEG_E_FORMAT);
    /* NaN weights would poison every prediction: refused, nothing changes */
    int64_t kshape_b[4] = {1, 1, 3, 2};
    float kb[6] = {0, 0, 0, 0, INFINITY, 0};
    us_st_tensor inf_kernel[1] = {{"conv_b/kernel", 4, kshape_b, kb}};
    assert_ok(us_st_write(tmp_path("inf.safetensors"), inf_kernel, 1, NULL, NULL, 0));
    assert_status(unetseg_model_load_weights(m, tmp_path("inf.safetensors"), UNETSEG_LOAD_PARTIAL, NULL),
                  UNETSEG_E_NUMERIC);
    assert_error_mentions("conv_b/kernel");
    /* ... also when it comes after good tensors: loading overwrites the
     * model's own buffers in place, but only after every tensor was read
     * and checked (io/weights.c), so the good ones are not applied either */
    {
        int64_t kshape_a[4] = {3, 3, 2, 3}, bshape_a[1] = {3}, count = 0;
        float ka[54], ba[3] = {7, 8, 9};
        for (int i = 0; i < 54; i++) ka[i] = 0.5f * (float)i;
        us_st_tensor good_then_inf[3] = {{"conv_a/kernel", 4, kshape_a, ka},
                                         {"conv_a/bias", 1, bshape_a, ba},
                                         {"conv_b/kernel", 4, kshape_b, kb}};
        assert_ok(us_st_write(tmp_path("good_then_inf.safetensors"), good_then_inf, 3, NULL, NULL, 0));
        float *before = snapshot(m, &count);
        assert_status(unetseg_model_load_weights(m, tmp_path("good_then_inf.safetensors"),
                                                 UNETSEG_LOAD_PARTIAL, NULL),
                      UNETSEG_E_NUMERIC);
        assert_unchanged(m, before, count);
        free(before);
    }
    /* a valid file without unetseg metadata cannot rebuild a model */
    int64_t shape[1] = {1};
    us_st_tensor one[1] = {{"x/bias", 1, shape, payload}};
    assert_ok(us_st_write(tmp_path("plain.safetensors"), one, 1, NULL, NULL, 0));
    assert_status(unetseg_model_load(tmp_path("plain.safetensors"), &out), UNETSEG_E_FORMAT);
    assert_error_mentions("unetseg.graph");
    /* a lying graph description */
    const char *keys[1] = {"unetseg.graph"};
    const char *values[1] = {"unetseg-graph 1\nlayer conv2d c in=nowhere filters=3\n"};
    assert_ok(us_st_write(tmp_path("lying.safetensors"), one, 1, keys, values, 1));
    assert_status(unetseg_model_load(tmp_path("lying.safetensors"), &out), UNETSEG_E_FORMAT);
    assert_error_mentions("line 2");
    assert_status(unetseg_model_load_weights(m, tmp_path("missing.safetensors"), UNETSEG_LOAD_PARTIAL, NULL),
                  UNETSEG_E_IO);
    assert_unchanged(m, before, count);
    free(before);
    unetseg_model_free(m);
}

static void bad_arguments(void **state) {
    (void)state;
    unetseg_model *m = small_model(), *out = NULL;
    const char *report = "x";
    assert_status(unetseg_model_save_weights(NULL, "x"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_save_weights(m, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_save_weights(m, "/nonexistent-dir/x.safetensors"), UNETSEG_E_IO);
    assert_status(unetseg_model_load_weights(NULL, "x", 0, &report), UNETSEG_E_INVALID_ARG);
    assert_null(report);
    assert_status(unetseg_model_load_weights(m, NULL, 0, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_load_weights(m, "x", 7, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_load(NULL, &out), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_load("x", NULL), UNETSEG_E_INVALID_ARG);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unet_round_trip_is_bit_identical),
        cmocka_unit_test(strict_and_partial_loading),
        cmocka_unit_test(f64_and_f16_are_converted),
        cmocka_unit_test(hostile_files_are_format_errors),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
