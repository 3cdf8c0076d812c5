/* The core public API: tensors, building a model layer by layer, queries,
 * parameters and forward, with every kind of bad call. Numeric layer checks
 * against PyTorch are in test_ops_fixtures.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_support.h"

/* ------------------------------------------------------------- tensors */
static void tensor_lifecycle_and_errors(void **state) {
    (void)state;
    unetseg_tensor *t = NULL;
    int64_t shape[3] = {2, 3, 4}, got[3], n = 0;
    int32_t rank = 0;
    float src[24], dst[24];
    for (int i = 0; i < 24; i++) src[i] = (float)i;
    assert_ok(unetseg_tensor_create(3, shape, &t));
    const unetseg_tensor *view = t; /* the read-only accessor: the same data */
    assert_ptr_equal(unetseg_tensor_data_const(view), unetseg_tensor_data(t));
    assert_null(unetseg_tensor_data_const(NULL));
    assert_ok(unetseg_tensor_rank(t, &rank));
    assert_int_equal(rank, 3);
    assert_ok(unetseg_tensor_shape(t, got, 3));
    assert_memory_equal(got, shape, sizeof shape);
    assert_ok(unetseg_tensor_numel(t, &n));
    assert_int_equal(n, 24);
    assert_float_equal(unetseg_tensor_data(t)[23], 0.0f, 0); /* zero-filled */
    assert_ok(unetseg_tensor_copy_from(t, src, 24));
    assert_ok(unetseg_tensor_copy_to(t, dst, 24));
    assert_memory_equal(src, dst, sizeof src);

    assert_status(unetseg_tensor_shape(t, got, 2), UNETSEG_E_SHAPE);
    assert_status(unetseg_tensor_copy_from(t, src, 23), UNETSEG_E_SHAPE);
    assert_error_mentions("23");
    assert_status(unetseg_tensor_copy_to(t, dst, 25), UNETSEG_E_SHAPE);
    assert_status(unetseg_tensor_copy_from(NULL, src, 24), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_copy_from(t, NULL, 24), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_copy_to(t, NULL, 24), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_rank(NULL, &rank), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_rank(t, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_numel(NULL, &n), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_shape(NULL, got, 3), UNETSEG_E_INVALID_ARG);
    assert_null(unetseg_tensor_data(NULL));
    unetseg_tensor_free(t);
    unetseg_tensor_free(NULL);

    unetseg_tensor *bad = (unetseg_tensor *)0x1;
    int64_t zero[2] = {3, 0}, huge[3] = {1LL << 31, 1LL << 31, 1LL << 31};
    int64_t big[3] = {1 << 30, 1 << 30, 1 << 30};
    assert_status(unetseg_tensor_create(2, zero, &bad), UNETSEG_E_INVALID_ARG);
    assert_null(bad);
    assert_status(unetseg_tensor_create(3, huge, &t), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_create(3, big, &t), UNETSEG_E_INVALID_ARG); /* 2^90 wraps */
    assert_error_mentions("2^34");
    assert_status(unetseg_tensor_create(0, shape, &t), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_create(9, shape, &t), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_create(3, NULL, &t), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_tensor_create(3, shape, NULL), UNETSEG_E_INVALID_ARG);
}

static void status_strings_and_version(void **state) {
    (void)state;
    assert_string_equal(unetseg_status_string(UNETSEG_OK), "ok");
    assert_string_equal(unetseg_status_string(UNETSEG_E_FORMAT), "malformed file");
    assert_string_equal(unetseg_status_string(-999), "unknown status");
    for (int32_t s = UNETSEG_E_NUMERIC; s <= UNETSEG_OK; s++)
        assert_string_not_equal(unetseg_status_string(s), "unknown status");
    assert_int_equal(unetseg_abi_version(), UNETSEG_ABI_VERSION);
    assert_string_equal(unetseg_version_string(), "0.1.0");
    assert_int_equal(unetseg_version_number(), UNETSEG_VERSION_NUMBER);
    assert_int_equal(UNETSEG_VERSION_NUMBER, 100); /* 0 * 10000 + 1 * 100 + 0 */
    assert_null(unetseg_layer_kind_name(99));
    assert_string_equal(unetseg_layer_kind_name(UNETSEG_LAYER_CONV2D_TRANSPOSE), "conv2dtranspose");
}

/* ------------------------------------------------------------- building */
static void building_errors_leave_the_model_unchanged(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    int32_t n = -1;
    const char *two[2] = {"data", "nowhere"};
    assert_status(unetseg_model_create(NULL), UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_model_create(&m));
    assert_status(unetseg_model_add_conv2d(m, "c", "data", 4, 3, 3, 1, 1, 0, 0), UNETSEG_E_GRAPH);
    assert_error_mentions("input layer first");
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 3));
    assert_status(unetseg_model_add_input(m, "data2", 8, 8, 3), UNETSEG_E_GRAPH);
    assert_status(unetseg_model_add_input(NULL, "x", 8, 8, 3), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, NULL, "data", 4, 3, 3, 1, 1, 0, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "data", "data", 4, 3, 3, 1, 1, 0, 0),
                  UNETSEG_E_NAME_EXISTS);
    assert_error_mentions("'data'");
    assert_status(unetseg_model_add_conv2d(m, "c", "missing", 4, 3, 3, 1, 1, 0, 0), UNETSEG_E_GRAPH);
    assert_error_mentions("'missing'");
    /* a layer can only read layers before it: a self-reference is an unknown inbound */
    assert_status(unetseg_model_add_activation(m, "loop", "loop", UNETSEG_ACT_RELU), UNETSEG_E_GRAPH);
    assert_status(unetseg_model_add_conv2d(m, "bad name", "data", 4, 3, 3, 1, 1, 0, 0),
                  UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "", "data", 4, 3, 3, 1, 1, 0, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "c", "data", 0, 3, 3, 1, 1, 0, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "c", "data", 4, 3, 3, 0, 1, 0, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "c", "data", 4, 3, 3, 1, 1, 5, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conv2d(m, "c", "data", 4, 9, 9, 1, 1, 0, 0), UNETSEG_E_SHAPE);
    assert_error_mentions("smaller than the window");
    assert_status(unetseg_model_add_batchnorm(m, "b", "data", 0.0, 0.99, 1, 1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_batchnorm(m, "b", "data", 1e-3, 1.0, 1, 1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_activation(m, "a", "data", 42), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_zero_padding2d(m, "z", "data", -1, 0, 0, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_max_pooling2d(m, "p", "data", 0, 2, 2, 2, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_upsampling2d(m, "u", "data", 2, 2, 7), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_concatenate(m, "cat", two, 2), UNETSEG_E_GRAPH);
    assert_status(unetseg_model_add_concatenate(m, "cat", two, 1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_add(m, "add", NULL, 2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_dropout(m, "d", "data", 1.0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("[0, 1)");
    assert_status(unetseg_model_add_dropout(m, "d", "data", -0.1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_dropout(m, "d", "data", NAN), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_spatial_dropout2d(m, "d", "data", 1.5), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conditional_dropout(m, "d", "data", 0.5, 3, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_add_conditional_dropout(m, "d", "data", 0.5, 0, 2), UNETSEG_E_INVALID_ARG);
    /* inputs of different sizes cannot be added */
    assert_ok(unetseg_model_add_max_pooling2d(m, "p", "data", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    const char *mixed[2] = {"data", "p"};
    assert_status(unetseg_model_add_add(m, "add", mixed, 2), UNETSEG_E_SHAPE);
    assert_error_mentions("height");
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 2);
    unetseg_model_free(m);
    unetseg_model_free(NULL);
}

/* A small graph with skip, concat and add; every query checked. */
static unetseg_model *small_graph(void) {
    unetseg_model *m = NULL;
    const char *cat_in[2] = {"up", "data"}, *add_in[2] = {"conv", "conv_b"};
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", -1, -1, 2));
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "data", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    assert_ok(unetseg_model_add_upsampling2d(m, "up", "pool", 2, 2, UNETSEG_INTERP_NEAREST));
    assert_ok(unetseg_model_add_concatenate(m, "cat", cat_in, 2));
    assert_ok(unetseg_model_add_conv2d(m, "conv", "cat", 3, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "conv_b", "cat", 3, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 0));
    assert_ok(unetseg_model_add_add(m, "sum", add_in, 2));
    assert_ok(unetseg_model_add_dropout(m, "drop", "sum", 0.5));
    assert_ok(unetseg_model_add_activation(m, "out", "drop", UNETSEG_ACT_SOFTMAX));
    return m;
}

static void queries(void **state) {
    (void)state;
    unetseg_model *m = small_graph();
    int32_t n, idx, kind, count, trainable, region;
    int64_t shape[4], params;
    const char *name;
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 9);
    assert_ok(unetseg_model_layer_index(m, "cat", &idx));
    assert_int_equal(idx, 3);
    assert_ok(unetseg_model_layer_kind(m, idx, &kind));
    assert_int_equal(kind, UNETSEG_LAYER_CONCATENATE);
    assert_ok(unetseg_model_layer_inbound_count(m, idx, &count));
    assert_int_equal(count, 2);
    assert_ok(unetseg_model_layer_inbound(m, idx, 1, &name));
    assert_string_equal(name, "data");
    assert_ok(unetseg_model_layer_output_shape(m, idx, shape));
    assert_int_equal(shape[0], -1);
    assert_int_equal(shape[1], -1); /* None stays None */
    assert_int_equal(shape[3], 4);
    assert_ok(unetseg_model_layer_index(m, "conv", &idx));
    assert_ok(unetseg_model_layer_param_count(m, idx, &params));
    assert_int_equal(params, 3 * 3 * 4 * 3 + 3);
    assert_ok(unetseg_model_layer_trainable(m, idx, &trainable));
    assert_int_equal(trainable, 1);
    assert_ok(unetseg_model_layer_region(m, idx, &region));
    assert_int_equal(region, UNETSEG_REGION_NONE);
    assert_ok(unetseg_model_set_trainable(m, "conv", 0));
    int64_t t, tr, nt;
    assert_ok(unetseg_model_param_totals(m, &t, &tr, &nt));
    assert_int_equal(t, 111 + 12);
    assert_int_equal(nt, 111);

    assert_status(unetseg_model_layer_index(m, "nope", &idx), UNETSEG_E_NOT_FOUND);
    assert_error_mentions("'nope'");
    assert_status(unetseg_model_layer_name(m, 9, &name), UNETSEG_E_INVALID_ARG);
    assert_null(name);
    assert_status(unetseg_model_layer_name(m, -1, &name), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_name(NULL, 0, &name), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_name(m, 0, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_kind(m, 0, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_inbound(m, idx, 5, &name), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_output_shape(m, 99, shape), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_param_count(m, 0, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_count(NULL, &n), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_count(m, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_trainable(m, "nope", 1), UNETSEG_E_NOT_FOUND);
    assert_status(unetseg_model_set_trainable(m, "conv", 2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_param_totals(NULL, &t, NULL, NULL), UNETSEG_E_INVALID_ARG);
    unetseg_model_free(m);
}

static void parameters_get_set(void **state) {
    (void)state;
    unetseg_model *m = small_graph();
    unetseg_tensor *k = NULL, *wrong = NULL;
    int32_t n;
    const char *name;
    assert_ok(unetseg_model_param_tensor_count(m, &n));
    assert_int_equal(n, 3); /* conv/kernel, conv/bias, conv_b/kernel */
    assert_ok(unetseg_model_param_tensor_name(m, 2, &name));
    assert_string_equal(name, "conv_b/kernel");
    assert_status(unetseg_model_param_tensor_name(m, 3, &name), UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_model_param_get(m, "conv/bias", &k));
    unetseg_tensor_data(k)[1] = 7.0f;
    assert_ok(unetseg_model_param_set(m, "conv/bias", k));
    unetseg_tensor_free(k);
    assert_ok(unetseg_model_param_get(m, "conv/bias", &k));
    assert_float_equal(unetseg_tensor_data(k)[1], 7.0f, 0);

    int64_t shape[1] = {4};
    assert_ok(unetseg_tensor_create(1, shape, &wrong));
    assert_status(unetseg_model_param_set(m, "conv/bias", wrong), UNETSEG_E_SHAPE);
    assert_status(unetseg_model_param_set(m, "conv/gamma", k), UNETSEG_E_NOT_FOUND);
    assert_status(unetseg_model_param_set(m, "nolayer", k), UNETSEG_E_NOT_FOUND);
    assert_status(unetseg_model_param_set(m, NULL, k), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_param_set(m, "conv/bias", NULL), UNETSEG_E_INVALID_ARG);
    unetseg_tensor *out = (unetseg_tensor *)0x1;
    assert_status(unetseg_model_param_get(m, "conv/nothing", &out), UNETSEG_E_NOT_FOUND);
    assert_null(out);
    assert_status(unetseg_model_param_get(NULL, "conv/bias", &out), UNETSEG_E_INVALID_ARG);
    unetseg_tensor_free(wrong);
    unetseg_tensor_free(k);
    unetseg_model_free(m);
}

/* ------------------------------------------------------------- forward */
/* The small graph by hand: input 2x2x2 constant per channel; pool+up gives
 * the same image; concat 4 channels; conv_b (1x1, kernel of ones) sums
 * channels; conv (zero kernel, bias b) gives b; softmax over 3 channels. */
static void forward_hand_computed_and_any_size(void **state) {
    (void)state;
    unetseg_model *m = small_graph();
    unetseg_tensor *kb = NULL, *bias = NULL, *y = NULL;
    assert_ok(unetseg_model_param_get(m, "conv_b/kernel", &kb));
    for (int i = 0; i < 12; i++) unetseg_tensor_data(kb)[i] = 1.0f;
    assert_ok(unetseg_model_param_set(m, "conv_b/kernel", kb));
    assert_ok(unetseg_model_param_get(m, "conv/bias", &bias));
    float b[3] = {0.0f, 1.0f, -1.0f};
    assert_ok(unetseg_tensor_copy_from(bias, b, 3));
    assert_ok(unetseg_model_param_set(m, "conv/bias", bias));
    /* the same model takes 2x2, 4x6 and 8x8 inputs */
    int64_t sizes[3][2] = {{2, 2}, {4, 6}, {8, 8}};
    for (int s = 0; s < 3; s++) {
        int64_t h = sizes[s][0], w = sizes[s][1], count = h * w * 2;
        float *in = malloc((size_t)count * sizeof(float));
        for (int64_t i = 0; i < count; i++) in[i] = i % 2 ? 0.25f : 0.5f;
        unetseg_tensor *x = make_tensor4(1, h, w, 2, in);
        assert_ok(unetseg_model_forward(m, x, &y));
        int64_t shape[4];
        assert_ok(unetseg_tensor_shape(y, shape, 4));
        assert_int_equal(shape[1], h);
        assert_int_equal(shape[2], w);
        assert_int_equal(shape[3], 3);
        /* logits: 1.5 + {0, 1, -1}; softmax of {1.5, 2.5, 0.5} */
        double e0 = exp(1.5), e1 = exp(2.5), e2 = exp(0.5), z = e0 + e1 + e2;
        const float *d = unetseg_tensor_data(y);
        assert_float_equal(d[0], e0 / z, 1e-6);
        assert_float_equal(d[1], e1 / z, 1e-6);
        assert_float_equal(d[3 * (h * w - 1) + 2], e2 / z, 1e-6);
        unetseg_tensor_free(y);
        unetseg_tensor_free(x);
        free(in);
    }
    unetseg_tensor_free(kb);
    unetseg_tensor_free(bias);
    unetseg_model_free(m);
}

static void forward_errors(void **state) {
    (void)state;
    unetseg_model *m = small_graph(), *empty = NULL;
    unetseg_tensor *y = (unetseg_tensor *)0x1, *x3 = make_tensor4(1, 4, 4, 3, NULL);
    unetseg_tensor *odd = make_tensor4(1, 5, 4, 2, NULL);
    unetseg_tensor *x = make_tensor4(1, 4, 4, 2, NULL), *r2 = NULL;
    int64_t shape2[2] = {4, 2};
    assert_ok(unetseg_tensor_create(2, shape2, &r2));
    assert_status(unetseg_model_forward(m, x3, &y), UNETSEG_E_SHAPE);
    assert_null(y);
    assert_error_mentions("3 channels");
    assert_status(unetseg_model_forward(m, r2, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("rank 4");
    /* 5 rows pool to 2 and upsample to 4: the concat with the 5-row input fails */
    assert_status(unetseg_model_forward(m, odd, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("cat");
    assert_status(unetseg_model_forward(NULL, x, &y), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_forward(m, NULL, &y), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_forward(m, x, NULL), UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_model_create(&empty));
    assert_status(unetseg_model_forward(empty, x, &y), UNETSEG_E_STATE);
    const char *names[1] = {"nope"};
    unetseg_tensor *acts[1] = {(unetseg_tensor *)0x1};
    assert_status(unetseg_model_forward_with_activations(m, x, names, 1, acts, &y),
                  UNETSEG_E_NOT_FOUND);
    assert_null(acts[0]);
    assert_status(unetseg_model_forward_with_activations(m, x, NULL, 1, acts, &y),
                  UNETSEG_E_INVALID_ARG);
    unetseg_model_free(empty);
    unetseg_tensor_free(r2);
    unetseg_tensor_free(x);
    unetseg_tensor_free(x3);
    unetseg_tensor_free(odd);
    unetseg_model_free(m);
}

/* The caller's input is never written, even by in-place layers. */
static void forward_does_not_touch_the_input(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    float in[8] = {-1, 2, -3, 4, -5, 6, -7, 8}, copy[8];
    memcpy(copy, in, sizeof in);
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 2, 2, 2));
    assert_ok(unetseg_model_add_activation(m, "relu", "data", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_activation(m, "sig", "relu", UNETSEG_ACT_SIGMOID));
    unetseg_tensor *x = make_tensor4(1, 2, 2, 2, in), *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    assert_memory_equal(unetseg_tensor_data(x), copy, sizeof copy);
    assert_float_equal(unetseg_tensor_data(y)[0], 0.5f, 1e-7);
    assert_float_equal(unetseg_tensor_data(y)[1], 1.0 / (1.0 + exp(-2.0)), 1e-6);
    unetseg_tensor_free(x);
    unetseg_tensor_free(y);
    unetseg_model_free(m);
}

/* Inference does not check values: NaN in, NaN out, no crash (documented). */
static void forward_propagates_nan(void **state) {
    (void)state;
    unetseg_model *m = small_graph();
    unetseg_tensor *x = make_tensor4(1, 4, 4, 2, NULL), *y = NULL;
    unetseg_tensor_data(x)[0] = NAN;
    unetseg_tensor_data(x)[1] = INFINITY;
    assert_ok(unetseg_model_forward(m, x, &y));
    assert_non_null(y);
    unetseg_tensor_free(y);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* U-Net: input sizes that are not multiples of 32 are refused with a clear
 * message; 64x96 (not the built 64x64) runs without rebuilding. */
static void unet_input_sizes(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_tensor *bad = make_tensor4(1, 64, 80, 3, NULL), *ok = make_tensor4(2, 64, 96, 3, NULL);
    assert_status(unetseg_model_forward(m, bad, &y), UNETSEG_E_SHAPE);
    assert_error_mentions("divisible by 32");
    assert_ok(unetseg_model_forward(m, ok, &y));
    int64_t shape[4];
    assert_ok(unetseg_tensor_shape(y, shape, 4));
    assert_int_equal(shape[0], 2);
    assert_int_equal(shape[1], 64);
    assert_int_equal(shape[2], 96);
    assert_int_equal(shape[3], 1);
    unetseg_tensor_free(y);
    unetseg_tensor_free(bad);
    unetseg_tensor_free(ok);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tensor_lifecycle_and_errors),
        cmocka_unit_test(status_strings_and_version),
        cmocka_unit_test(building_errors_leave_the_model_unchanged),
        cmocka_unit_test(queries),
        cmocka_unit_test(parameters_get_set),
        cmocka_unit_test(forward_hand_computed_and_any_size),
        cmocka_unit_test(forward_errors),
        cmocka_unit_test(forward_does_not_touch_the_input),
        cmocka_unit_test(unet_input_sizes),
        cmocka_unit_test(forward_propagates_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
