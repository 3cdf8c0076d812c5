/* The Unet builders reproduce the Keras golden layer tables line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_support.h"

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_error("cannot open %s\n", path);
        fail();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Compare line by line so a failure names the first differing line. */
static void assert_same_text(const char *got, const char *want) {
    int line = 1;
    while (*got || *want) {
        const char *g_end = strchr(got, '\n'), *w_end = strchr(want, '\n');
        size_t g_len = g_end ? (size_t)(g_end - got) : strlen(got);
        size_t w_len = w_end ? (size_t)(w_end - want) : strlen(want);
        if (g_len != w_len || strncmp(got, want, g_len) != 0) {
            print_error("line %d differs:\n got: %.*s\nwant: %.*s\n", line, (int)g_len, got,
                        (int)w_len, want);
            fail();
        }
        got += g_len + (g_end != NULL);
        want += w_len + (w_end != NULL);
        line++;
    }
}

static void check_golden(const char *backbone, const char *decoder, int64_t size,
                         const char *golden, int32_t layers, int64_t total, int64_t trainable) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    const char *text = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, backbone));
    assert_ok(unetseg_unet_options_set_decoder_block_type(o, decoder));
    assert_ok(unetseg_unet_options_set_input_shape(o, size, size, 3));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_model_summary(m, &text));
    char *want = read_text(golden);
    assert_same_text(text, want);
    free(want);
    int32_t count = 0;
    int64_t t = 0, tr = 0, nt = 0;
    assert_ok(unetseg_model_layer_count(m, &count));
    assert_int_equal(count, layers);
    assert_ok(unetseg_model_param_totals(m, &t, &tr, &nt));
    assert_int_equal(t, total);
    assert_int_equal(tr, trainable);
    assert_int_equal(nt, total - trainable);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

static void resnet34_256_matches_golden(void **state) {
    (void)state;
    check_golden("resnet34", "upsampling", 256,
                 "tests/fixtures/unet_resnet34_256x256_classes1.summary.txt", 199, 24456154,
                 24438804);
}

static void resnet18_64_matches_golden(void **state) {
    (void)state;
    check_golden("resnet18", "upsampling", 64,
                 "tests/fixtures/unet_resnet18_64x64_classes1.summary.txt", 127, 14340570,
                 14330644);
}

static void resnet34_transpose_matches_golden(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_decoder_block_type(o, "transpose"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_create(o, &m));
    const char *text = NULL;
    assert_ok(unetseg_model_summary(m, &text));
    char *want = read_text("tests/fixtures/unet_resnet34_transpose_64x64_classes1.summary.txt");
    assert_same_text(text, want);
    free(want);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

/* classes=4 totals from the published Keras summary (spec §2.7). */
static void classes4_totals(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int64_t t, tr, nt;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_classes(o, 4));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_model_param_totals(m, &t, &tr, &nt));
    assert_int_equal(t, 24456589);
    assert_int_equal(tr, 24439239);
    assert_int_equal(nt, 17350);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

/* encoder_freeze: every backbone layer frozen except BatchNormalization. */
static void encoder_freeze_keeps_batchnorm_trainable(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_encoder_freeze(o, 1));
    assert_ok(unetseg_unet_create(o, &m));
    int32_t n = 0, idx, trainable, kind, region;
    assert_ok(unetseg_model_layer_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        assert_ok(unetseg_model_layer_trainable(m, i, &trainable));
        assert_ok(unetseg_model_layer_kind(m, i, &kind));
        assert_ok(unetseg_model_layer_region(m, i, &region));
        int expect = region != UNETSEG_REGION_ENCODER || kind == UNETSEG_LAYER_BATCHNORM;
        assert_int_equal(trainable, expect);
    }
    assert_ok(unetseg_model_layer_index(m, "conv0", &idx));
    assert_ok(unetseg_model_layer_trainable(m, idx, &trainable));
    assert_int_equal(trainable, 0);
    /* frozen conv weights move to non-trainable: 21,287,107 encoder trainable
     * params minus the BN gammas/betas (which stay trainable) */
    int64_t t, tr, nt;
    assert_ok(unetseg_model_param_totals(m, &t, &tr, &nt));
    assert_int_equal(t, 24456154);
    assert_true(nt > 21000000);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

/* The encoder alone is the classification_models ResNet without top. */
static void encoder_alone_then_decoder(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int32_t n = 0;
    int64_t t, tr, nt;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_input_shape(o, 256, 256, 3));
    assert_ok(unetseg_encoder_create(o, &m));
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 158);
    assert_ok(unetseg_model_param_totals(m, &t, &tr, &nt));
    assert_int_equal(t, 21302473);
    assert_int_equal(tr, 21287107);
    assert_int_equal(nt, 15366);
    const char *name = NULL;
    assert_ok(unetseg_model_layer_name(m, n - 1, &name));
    assert_string_equal(name, "relu1");
    assert_ok(unetseg_decoder_append(m, o));
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 199);
    /* a second decoder is a state error and changes nothing */
    assert_status(unetseg_decoder_append(m, o), UNETSEG_E_STATE);
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 199);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

static void decoder_on_wrong_model_is_graph_error(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int32_t n = -1;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 64, 64, 3));
    assert_status(unetseg_decoder_append(m, o), UNETSEG_E_GRAPH);
    assert_error_mentions("relu1");
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 1);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

/* The backbone table lists resnet18 and resnet34, and each builds. */
static void backbone_names(void **state) {
    (void)state;
    assert_string_equal(unetseg_backbone_name(0), "resnet18");
    assert_string_equal(unetseg_backbone_name(1), "resnet34");
    assert_null(unetseg_backbone_name(2));
    assert_null(unetseg_backbone_name(-1));
    for (int32_t i = 0; unetseg_backbone_name(i); i++) {
        unetseg_unet_options *o = NULL;
        unetseg_model *m = NULL;
        assert_ok(unetseg_unet_options_create(&o));
        assert_ok(unetseg_unet_options_set_backbone(o, unetseg_backbone_name(i)));
        assert_ok(unetseg_encoder_create(o, &m));
        unetseg_model_free(m);
        unetseg_unet_options_free(o);
    }
}

static void options_reject_bad_values(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    int64_t filters[3] = {64, 0, 16};
    assert_status(unetseg_unet_options_create(NULL), UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_unet_options_create(&o));
    assert_status(unetseg_unet_options_set_backbone(o, "resnet50"), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("resnet50");
    assert_error_mentions("is not resnet18 or resnet34");
    assert_status(unetseg_unet_options_set_backbone(NULL, "resnet34"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_backbone(o, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_input_shape(o, 100, 64, 3), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("multiples of 32");
    assert_status(unetseg_unet_options_set_input_shape(o, 64, 64, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_classes(o, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_activation(o, UNETSEG_ACT_RELU), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_decoder_block_type(o, "deconv"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_decoder_filters(o, filters, 3), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_decoder_filters(o, filters, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_decoder_filters(o, NULL, 3), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_decoder_use_batchnorm(o, 2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_encoder_freeze(o, -1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_options_set_seed(NULL, 1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_create(o, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_unet_create(NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_encoder_create(NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_decoder_append(NULL, o), UNETSEG_E_INVALID_ARG);
    unetseg_unet_options_free(o);
    unetseg_unet_options_free(NULL);
}

/* Other options: no decoder BN (biases instead), 3 decoder blocks, softmax
 * head with 3 classes, one input channel. Shapes and counts computed by hand. */
static void decoder_variants(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int64_t filters[3] = {128, 64, 32}, shape[4];
    int32_t idx, n;
    int64_t count;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 96, 1));
    assert_ok(unetseg_unet_options_set_decoder_filters(o, filters, 3));
    assert_ok(unetseg_unet_options_set_decoder_use_batchnorm(o, 0));
    assert_ok(unetseg_unet_options_set_activation(o, UNETSEG_ACT_SOFTMAX));
    assert_ok(unetseg_unet_options_set_classes(o, 3));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_model_layer_count(m, &n));
    /* 86 backbone + 3 blocks x (up, concat, conv, relu, conv, relu) + 2 */
    assert_int_equal(n, 86 + 18 + 2);
    assert_ok(unetseg_model_layer_index(m, "softmax", &idx));
    assert_int_equal(idx, n - 1);
    assert_ok(unetseg_model_layer_output_shape(m, idx, shape));
    /* three x2 blocks from 1/32: 64/32*8 = 16, 96/32*8 = 24 */
    assert_int_equal(shape[1], 16);
    assert_int_equal(shape[2], 24);
    assert_int_equal(shape[3], 3);
    assert_status(unetseg_model_layer_index(m, "decoder_stage0a_bn", &idx), UNETSEG_E_NOT_FOUND);
    assert_ok(unetseg_model_layer_index(m, "decoder_stage0a_conv", &idx));
    assert_ok(unetseg_model_layer_param_count(m, idx, &count));
    assert_int_equal(count, 3 * 3 * (512 + 256) * 128 + 128); /* kernel + bias */
    assert_ok(unetseg_model_layer_index(m, "conv0", &idx));
    assert_ok(unetseg_model_layer_param_count(m, idx, &count));
    assert_int_equal(count, 7 * 7 * 1 * 64);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resnet34_256_matches_golden),
        cmocka_unit_test(resnet18_64_matches_golden),
        cmocka_unit_test(resnet34_transpose_matches_golden),
        cmocka_unit_test(classes4_totals),
        cmocka_unit_test(encoder_freeze_keeps_batchnorm_trainable),
        cmocka_unit_test(encoder_alone_then_decoder),
        cmocka_unit_test(decoder_on_wrong_model_is_graph_error),
        cmocka_unit_test(backbone_names),
        cmocka_unit_test(options_reject_bad_values),
        cmocka_unit_test(decoder_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
