/* Tiled sliding-window prediction: the plan (positions, Gaussian weights,
 * reflection), identity through any image size, equality with whole-image
 * inference in the interior, Unet() on sizes that are not multiples of 32,
 * the Monte-Carlo variant against predict_mc and the plain tiled result,
 * and the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/tile_plan.h"
#include "support/formula.h"
#include "support/test_support.h"

static void fill_input(unetseg_tensor *t, uint64_t seed) {
    int64_t n = 0;
    assert_ok(unetseg_tensor_numel(t, &n));
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < n; i++)
        d[i] = (float)(formula_splitmix64(seed + (uint64_t)i) >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static unetseg_tile_options *make_options(int64_t tile, int64_t overlap, int64_t margin,
                                          int32_t blend, int32_t batch) {
    unetseg_tile_options *o = NULL;
    assert_ok(unetseg_tile_options_create(&o));
    assert_ok(unetseg_tile_options_set_tile(o, tile, tile));
    assert_ok(unetseg_tile_options_set_overlap(o, overlap));
    assert_ok(unetseg_tile_options_set_margin(o, margin));
    assert_ok(unetseg_tile_options_set_blend(o, blend));
    assert_ok(unetseg_tile_options_set_batch(o, batch));
    return o;
}

/* data(c) -> 1x1 conv with the identity kernel, no bias: output = input. */
static unetseg_model *identity_model(int64_t c) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", -1, -1, c));
    assert_ok(unetseg_model_add_conv2d(m, "id", "data", c, 1, 1, 1, 1, UNETSEG_PADDING_SAME, 0));
    unetseg_tensor *k = make_tensor4(1, 1, c, c, NULL);
    for (int64_t i = 0; i < c; i++) unetseg_tensor_data(k)[i * c + i] = 1.0f;
    assert_ok(unetseg_model_param_set(m, "id/kernel", k));
    unetseg_tensor_free(k);
    return m;
}

/* A small encoder-decoder with a receptive-field halo of at most 8 pixels:
 * conv3x3 - relu - pool2 - conv3x3 - relu - up2 - concat - conv3x3 -
 * [dropout] - conv1x1 - sigmoid. */
static unetseg_model *small_unet(double dropout_rate, int with_dropout) {
    unetseg_model *m = NULL;
    const char *cat[2] = {"relu1", "up"};
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", -1, -1, 2));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "data", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "relu1", "c1", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "relu1", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    assert_ok(unetseg_model_add_conv2d(m, "c2", "pool", 6, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "relu2", "c2", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_upsampling2d(m, "up", "relu2", 2, 2, UNETSEG_INTERP_NEAREST));
    assert_ok(unetseg_model_add_concatenate(m, "cat", cat, 2));
    assert_ok(unetseg_model_add_conv2d(m, "c3", "cat", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    const char *head_in = "c3";
    if (with_dropout) {
        assert_ok(unetseg_model_add_dropout(m, "drop", "c3", dropout_rate));
        head_in = "drop";
    }
    assert_ok(unetseg_model_add_conv2d(m, "head", head_in, 1, 1, 1, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID));
    assert_ok(formula_fill_model(m));
    return m;
}

/* ------------------------------------------------------------------ plan */
static void plan_positions_weights_and_reflection(void **state) {
    (void)state;
    us_tile_axis a = {0};
    /* tile 8, overlap 4, margin 1: kept 6, stride 4, starts -1, 3, 7, 11, 15 */
    assert_ok(us_tile_axis_init(&a, 20, 8, 4, 1, UNETSEG_BLEND_GAUSSIAN));
    assert_int_equal(a.count, 5);
    assert_int_equal(a.stride, 4);
    assert_int_equal(us_tile_start(&a, 0), -1);
    assert_int_equal(us_tile_start(&a, 4), 15);
    /* kept length L = 6: centre 2.5, sigma 0.75; w = exp(-d^2 / 1.125) */
    const double hand[8] = {0.0, 0.0038659201, 0.1353352832, 0.8007374029,
                            0.8007374029, 0.1353352832, 0.0038659201, 0.0};
    for (int p = 0; p < 8; p++) assert_true(fabs(a.weight[p] - hand[p]) < 1e-7);
    /* pixel 3: kept part of tile 0 (positions 4) and tile 1 (position 0: margin) */
    assert_true(fabs(a.sum[3] - hand[4]) < 1e-7);
    /* pixel 4: tile 0 position 5, tile 1 position 1 */
    assert_true(fabs(a.sum[4] - (hand[5] + hand[1])) < 1e-7);
    for (int64_t x = 0; x < 20; x++) assert_true(a.sum[x] > 0.0f);
    us_tile_axis_free(&a);

    assert_ok(us_tile_axis_init(&a, 20, 8, 4, 1, UNETSEG_BLEND_UNIFORM));
    assert_true(a.weight[0] == 0.0f && a.weight[7] == 0.0f && a.weight[1] == 1.0f);
    assert_true(a.sum[0] == 1.0f && a.sum[4] == 2.0f);
    us_tile_axis_free(&a);

    /* an image shorter than the kept part: one tile */
    assert_ok(us_tile_axis_init(&a, 1, 32, 8, 4, UNETSEG_BLEND_GAUSSIAN));
    assert_int_equal(a.count, 1);
    us_tile_axis_free(&a);

    assert_int_equal(us_reflect_index(-1, 5), 1);
    assert_int_equal(us_reflect_index(5, 5), 3);
    assert_int_equal(us_reflect_index(-9, 5), 1);
    assert_int_equal(us_reflect_index(12, 5), 4);
    assert_int_equal(us_reflect_index(-3, 2), 1);
    assert_int_equal(us_reflect_index(7, 1), 0);
    assert_int_equal(us_reflect_index(-40000, 1), 0);
    /* shrinking for small images: image + 2 margins rounded up to the granule */
    assert_int_equal(us_tile_length(1, 512, 0, 32), 32);
    assert_int_equal(us_tile_length(37, 512, 8, 32), 64);
    assert_int_equal(us_tile_length(600, 512, 8, 32), 512);
    assert_int_equal(us_tile_length(500, 512, 8, 32), 512);
}

/* -------------------------------------------------------------- identity */
static void identity_through_any_size(void **state) {
    (void)state;
    unetseg_model *m = identity_model(2);
    /* with margin 6 every image below is shorter than the padding on some
     * axis: reflected again and again; a 1-pixel axis repeats its pixel */
    const int64_t sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {5, 3}, {33, 47}, {100, 65}, {16, 16}};
    const int32_t blends[2] = {UNETSEG_BLEND_UNIFORM, UNETSEG_BLEND_GAUSSIAN};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int b = 0; b < 4; b++)
            for (int32_t batch = 1; batch <= 3; batch += 2) {
                unetseg_tile_options *o = make_options(16, b < 2 ? 6 : 12, b < 2 ? 2 : 6, blends[b % 2], batch);
                unetseg_tensor *x = make_tensor4(2, sizes[s][0], sizes[s][1], 2, NULL), *y = NULL;
                fill_input(x, 7 + s);
                assert_ok(unetseg_model_predict_tiled(m, x, o, &y));
                int64_t shape[4];
                assert_ok(unetseg_tensor_shape(y, shape, 4));
                assert_int_equal(shape[0], 2);
                assert_int_equal(shape[1], sizes[s][0]);
                assert_int_equal(shape[2], sizes[s][1]);
                assert_int_equal(shape[3], 2);
                const float *a = unetseg_tensor_data(x), *c = unetseg_tensor_data(y);
                for (int64_t i = 0; i < 2 * sizes[s][0] * sizes[s][1] * 2; i++)
                    if (fabsf(a[i] - c[i]) > 1e-5f) {
                        print_error("size %lldx%lld blend %d batch %d: element %lld %g != %g\n",
                                    (long long)sizes[s][0], (long long)sizes[s][1], b,
                                    batch, (long long)i, a[i], c[i]);
                        fail();
                    }
                unetseg_tensor_free(x);
                unetseg_tensor_free(y);
                unetseg_tile_options_free(o);
            }
    unetseg_model_free(m);
}

/* Long strips: 1 x 40000 and 40000 x 1 (the side of the largest images the
 * issue names), many tiles along one axis, a 1-pixel other axis. */
static void identity_long_strips(void **state) {
    (void)state;
    unetseg_model *m = identity_model(1);
    const int64_t sizes[2][2] = {{1, 40000}, {40000, 1}};
    for (int s = 0; s < 2; s++) {
        unetseg_tile_options *o = make_options(256, 64, 8, UNETSEG_BLEND_GAUSSIAN, 8);
        unetseg_tensor *x = make_tensor4(1, sizes[s][0], sizes[s][1], 1, NULL), *y = NULL;
        fill_input(x, 17);
        assert_ok(unetseg_model_predict_tiled(m, x, o, &y));
        for (int64_t i = 0; i < 40000; i++)
            assert_true(fabsf(unetseg_tensor_data(x)[i] - unetseg_tensor_data(y)[i]) < 1e-5f);
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
        unetseg_tile_options_free(o);
    }
    unetseg_model_free(m);
}

/* ------------------------------------------------ equal to whole image */
static void compare_interior(const unetseg_tensor *whole, const unetseg_tensor *tiled,
                             int64_t h, int64_t w, int64_t halo, const char *what) {
    const float *a = unetseg_tensor_data_const(whole), *b = unetseg_tensor_data_const(tiled);
    double worst = 0.0;
    for (int64_t y = halo; y < h - halo; y++)
        for (int64_t x = halo; x < w - halo; x++) {
            double d = fabs((double)a[y * w + x] - (double)b[y * w + x]);
            if (d > worst) worst = d;
        }
    if (worst > 1e-5) {
        print_error("%s: interior differs by %g\n", what, worst);
        fail();
    }
}

static void interior_equals_whole_image(void **state) {
    (void)state;
    unetseg_model *m = small_unet(0.0, 0);
    const int64_t h = 64, w = 96, halo = 8;
    unetseg_tensor *x = make_tensor4(1, h, w, 2, NULL), *whole = NULL;
    fill_input(x, 99);
    assert_ok(unetseg_model_forward(m, x, &whole));
    const int32_t blends[2] = {UNETSEG_BLEND_UNIFORM, UNETSEG_BLEND_GAUSSIAN};
    for (int b = 0; b < 2; b++)
        for (int32_t batch = 1; batch <= 4; batch += 3) {
            unetseg_tile_options *o = make_options(32, 2 * halo, halo, blends[b], batch);
            unetseg_tensor *y = NULL;
            assert_ok(unetseg_model_predict_tiled(m, x, o, &y));
            compare_interior(whole, y, h, w, halo, blends[b] ? "gaussian" : "uniform");
            unetseg_tensor_free(y);
            unetseg_tile_options_free(o);
        }
    /* without margins the tile borders show: not equal (the test has teeth) */
    unetseg_tile_options *o = make_options(32, 16, 0, UNETSEG_BLEND_UNIFORM, 1);
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_model_predict_tiled(m, x, o, &y));
    double worst = 0.0;
    for (int64_t i = 0; i < h * w; i++) {
        double d = fabs((double)unetseg_tensor_data(whole)[i] - (double)unetseg_tensor_data(y)[i]);
        if (d > worst) worst = d;
    }
    assert_true(worst > 1e-4);
    unetseg_tensor_free(y);
    unetseg_tile_options_free(o);
    unetseg_tensor_free(whole);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* -------------------------------------------------------------- Unet() */
static unetseg_model *small_real_unet(void) {
    unetseg_unet_options *uo = NULL;
    unetseg_model *m = NULL;
    const int64_t filters[5] = {16, 8, 8, 8, 4};
    assert_ok(unetseg_unet_options_create(&uo));
    assert_ok(unetseg_unet_options_set_backbone(uo, "resnet18"));
    assert_ok(unetseg_unet_options_set_decoder_filters(uo, filters, 5));
    assert_ok(unetseg_unet_create(uo, &m));
    unetseg_unet_options_free(uo);
    return m;
}

static void unet_on_sizes_not_multiple_of_32(void **state) {
    (void)state;
    unetseg_model *m = small_real_unet();
    const int64_t sizes[][2] = {{1, 1}, {37, 50}, {70, 45}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unetseg_tile_options *o = make_options(64, 16, 4, UNETSEG_BLEND_GAUSSIAN, 2);
        unetseg_tensor *x = make_tensor4(1, sizes[s][0], sizes[s][1], 3, NULL), *y = NULL;
        fill_input(x, 3);
        assert_ok(unetseg_model_predict_tiled(m, x, o, &y));
        int64_t shape[4];
        assert_ok(unetseg_tensor_shape(y, shape, 4));
        assert_int_equal(shape[1], sizes[s][0]);
        assert_int_equal(shape[2], sizes[s][1]);
        assert_int_equal(shape[3], 1);
        for (int64_t i = 0; i < sizes[s][0] * sizes[s][1]; i++) {
            float v = unetseg_tensor_data(y)[i];
            assert_true(v >= 0.0f && v <= 1.0f);
        }
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
        unetseg_tile_options_free(o);
    }
    /* a 1x1 image is its pixel reflected over a 32x32 tile: the same as a
     * constant 32x32 image through forward() */
    unetseg_tile_options *o = make_options(64, 16, 0, UNETSEG_BLEND_UNIFORM, 1);
    unetseg_tensor *px = make_tensor4(1, 1, 1, 3, NULL), *flat = make_tensor4(1, 32, 32, 3, NULL);
    unetseg_tensor *y = NULL, *yf = NULL;
    const float rgb[3] = {0.25f, -0.5f, 0.75f};
    memcpy(unetseg_tensor_data(px), rgb, sizeof rgb);
    for (int i = 0; i < 32 * 32; i++) memcpy(unetseg_tensor_data(flat) + 3 * i, rgb, sizeof rgb);
    assert_ok(unetseg_model_predict_tiled(m, px, o, &y));
    assert_ok(unetseg_model_forward(m, flat, &yf));
    assert_true(fabsf(unetseg_tensor_data(y)[0] - unetseg_tensor_data(yf)[0]) < 1e-5f);
    unetseg_tensor_free(px);
    unetseg_tensor_free(flat);
    unetseg_tensor_free(y);
    unetseg_tensor_free(yf);
    unetseg_tile_options_free(o);
    unetseg_model_free(m);
}

/* ------------------------------------------------------------ Monte-Carlo */
static void mc_mean_equals_plain_without_dropout(void **state) {
    (void)state;
    unetseg_model *m = small_unet(0.0, 1);
    unetseg_tensor *x = make_tensor4(2, 45, 70, 2, NULL), *plain = NULL;
    unetseg_tensor *mean = NULL, *sd = NULL, *ent = NULL;
    fill_input(x, 5);
    /* margin = the halo: the tiles agree where they overlap, so the pooled
     * samples of a pixel are all one value (std 0) */
    unetseg_tile_options *o = make_options(32, 16, 8, UNETSEG_BLEND_GAUSSIAN, 3);
    assert_ok(unetseg_model_predict_tiled(m, x, o, &plain));
    assert_ok(unetseg_model_predict_tiled_mc(m, x, o, 4, 1, &mean, &sd, &ent));
    for (int64_t i = 0; i < 2 * 45 * 70; i++) {
        assert_true(fabsf(unetseg_tensor_data(plain)[i] - unetseg_tensor_data(mean)[i]) < 1e-5f);
        assert_true(unetseg_tensor_data(sd)[i] < 1e-3f);
        float q = unetseg_tensor_data(mean)[i];
        double h = -(double)q * log(q) - (1.0 - q) * log(1.0 - q);
        assert_true(fabs(unetseg_tensor_data(ent)[i] - h) < 1e-4);
    }
    unetseg_tensor_free(plain);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(sd);
    unetseg_tensor_free(ent);
    unetseg_tile_options_free(o);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void mc_single_tile_equals_predict_mc(void **state) {
    (void)state;
    unetseg_model *m = small_unet(0.3, 1);
    unetseg_tensor *x = make_tensor4(1, 32, 32, 2, NULL);
    unetseg_tensor *a[3] = {NULL, NULL, NULL}, *b[3] = {NULL, NULL, NULL};
    fill_input(x, 11);
    unetseg_tile_options *o = make_options(32, 8, 0, UNETSEG_BLEND_GAUSSIAN, 1);
    assert_ok(unetseg_model_predict_tiled_mc(m, x, o, 6, 42, &a[0], &a[1], &a[2]));
    assert_ok(unetseg_model_predict_mc(m, x, 6, 42, &b[0], &b[1], &b[2]));
    double spread = 0.0;
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < 32 * 32; i++)
            assert_true(fabsf(unetseg_tensor_data(a[k])[i] - unetseg_tensor_data(b[k])[i]) < 1e-5f);
    for (int64_t i = 0; i < 32 * 32; i++) spread += unetseg_tensor_data(a[1])[i];
    assert_true(spread > 0.0); /* dropout is really on */
    /* the same seed gives the same maps; outputs may be NULL */
    unetseg_tensor *again = NULL;
    assert_ok(unetseg_model_predict_tiled_mc(m, x, o, 6, 42, NULL, &again, NULL));
    assert_memory_equal(unetseg_tensor_data(again), unetseg_tensor_data(a[1]), 32 * 32 * sizeof(float));
    unetseg_tensor_free(again);
    for (int k = 0; k < 3; k++) {
        unetseg_tensor_free(a[k]);
        unetseg_tensor_free(b[k]);
    }
    unetseg_tile_options_free(o);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* ----------------------------------------------------------------- errors */
static void errors(void **state) {
    (void)state;
    unetseg_tile_options *o = NULL;
    unetseg_model *m = small_unet(0.0, 0), *empty = NULL, *shrinking = NULL;
    unetseg_tensor *x = make_tensor4(1, 20, 20, 2, NULL), *y = (unetseg_tensor *)&o;
    unetseg_tensor *mean = (unetseg_tensor *)&o;

    assert_status(unetseg_tile_options_create(NULL), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("out is NULL");
    assert_ok(unetseg_tile_options_create(&o));
    assert_status(unetseg_tile_options_set_tile(NULL, 32, 32), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("options is NULL");
    assert_status(unetseg_tile_options_set_tile(o, 0, 32), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("0x32");
    assert_status(unetseg_tile_options_set_tile(o, 32, 65537), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tile_options_set_overlap(o, -1), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("set_overlap: -1");
    assert_status(unetseg_tile_options_set_margin(o, -2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tile_options_set_blend(o, 2), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("UNETSEG_BLEND_UNIFORM");
    assert_status(unetseg_tile_options_set_batch(o, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tile_options_set_batch(o, 1025), UNETSEG_E_INVALID_ARG);
    unetseg_tile_options_free(NULL);

    /* NULL arguments: outputs are NULL */
    assert_status(unetseg_model_predict_tiled(NULL, x, o, &y), UNETSEG_E_INVALID_ARG);
    assert_null(y);
    assert_error_mentions("NULL argument");
    assert_status(unetseg_model_predict_tiled(m, NULL, o, &y), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_predict_tiled(m, x, NULL, &y), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_predict_tiled(m, x, o, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_predict_tiled_mc(m, x, NULL, 2, 0, &mean, NULL, NULL),
                  UNETSEG_E_INVALID_ARG);
    assert_null(mean);
    assert_status(unetseg_model_predict_tiled_mc(m, x, o, 0, 0, &mean, NULL, NULL),
                  UNETSEG_E_INVALID_ARG);
    assert_error_mentions("samples 0");
    assert_status(unetseg_model_predict_tiled_mc(m, x, o, 1001, 0, &mean, NULL, NULL),
                  UNETSEG_E_INVALID_ARG);

    /* overlap and margin against the tile */
    assert_ok(unetseg_tile_options_set_tile(o, 32, 32));
    assert_ok(unetseg_tile_options_set_overlap(o, 32));
    assert_status(unetseg_model_predict_tiled(m, x, o, &y), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("overlap 32 must be smaller than the tile 32x32");
    assert_string_equal(unetseg_model_last_error(m), unetseg_last_error());
    assert_ok(unetseg_tile_options_set_overlap(o, 8));
    assert_ok(unetseg_tile_options_set_margin(o, 5));
    assert_status(unetseg_model_predict_tiled(m, x, o, &y), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("margin 5 needs an overlap of at least 10");
    assert_status(unetseg_model_predict_tiled_mc(m, x, o, 2, 0, &mean, NULL, NULL),
                  UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_tile_options_set_margin(o, 4));

    /* input shape: rank and channels */
    unetseg_tensor *bad_c = make_tensor4(1, 20, 20, 3, NULL), *rank3 = NULL;
    const int64_t s3[3] = {20, 20, 2};
    assert_ok(unetseg_tensor_create(3, s3, &rank3));
    assert_status(unetseg_model_predict_tiled(m, bad_c, o, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("3 channels");
    assert_status(unetseg_model_predict_tiled(m, rank3, o, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("rank 4");
    unetseg_tensor_free(bad_c);
    unetseg_tensor_free(rank3);

    /* an empty model */
    assert_ok(unetseg_model_create(&empty));
    assert_status(unetseg_model_predict_tiled(empty, x, o, &y), UNETSEG_E_STATE);
    assert_error_mentions("no layers");
    unetseg_model_free(empty);

    /* a model whose output is smaller than its input */
    assert_ok(unetseg_model_create(&shrinking));
    assert_ok(unetseg_model_add_input(shrinking, "data", -1, -1, 2));
    assert_ok(unetseg_model_add_conv2d(shrinking, "c", "data", 1, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 1));
    assert_status(unetseg_model_predict_tiled(shrinking, x, o, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("needs a model whose output has its input's size");
    unetseg_model_free(shrinking);

    /* Unet() takes multiples of 32 only */
    unetseg_model *unet = small_real_unet();
    unetseg_tensor *rgb = make_tensor4(1, 100, 100, 3, NULL);
    assert_ok(unetseg_tile_options_set_tile(o, 48, 64));
    assert_status(unetseg_model_predict_tiled(unet, rgb, o, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("multiples of 32");
    assert_null(y);
    unetseg_tensor_free(rgb);
    unetseg_model_free(unet);

    unetseg_tile_options_free(o);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_positions_weights_and_reflection),
        cmocka_unit_test(identity_through_any_size),
        cmocka_unit_test(identity_long_strips),
        cmocka_unit_test(interior_equals_whole_image),
        cmocka_unit_test(unet_on_sizes_not_multiple_of_32),
        cmocka_unit_test(mc_mean_equals_plain_without_dropout),
        cmocka_unit_test(mc_single_tile_equals_predict_mc),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
