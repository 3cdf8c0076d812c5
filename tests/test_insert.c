/* Dropout insertion by matcher on the Keras Unet('resnet34'): rewiring,
 * before/after, naming, all-or-nothing, weights and inference unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/formula.h"
#include "support/test_support.h"

static unetseg_model *unet(const char *backbone, int64_t size) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, backbone));
    assert_ok(unetseg_unet_options_set_input_shape(o, size, size, 3));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    return m;
}

static int32_t insert(unetseg_model *m, const char *expr, int32_t kind, double rate,
                      int32_t position, int32_t *n) {
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *o = NULL;
    assert_ok(unetseg_matcher_parse(expr, &mt));
    assert_ok(unetseg_insert_options_create(&o));
    assert_ok(unetseg_insert_options_set_kind(o, kind));
    assert_ok(unetseg_insert_options_set_rate(o, rate));
    assert_ok(unetseg_insert_options_set_position(o, position));
    int32_t st = unetseg_model_insert_dropout(m, mt, o, n);
    unetseg_insert_options_free(o);
    unetseg_matcher_free(mt);
    return st;
}

static const char *inbound_of(unetseg_model *m, const char *layer, int32_t which) {
    int32_t idx;
    const char *name = NULL;
    assert_ok(unetseg_model_layer_index(m, layer, &idx));
    assert_ok(unetseg_model_layer_inbound(m, idx, which, &name));
    return name;
}

/* After stage2_unit1_relu1 its three consumers (the padding before conv1,
 * the sc conv and decoder_stage2_concat) all read the dropout. */
static void after_rewires_every_consumer(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet34", 256);
    int32_t n = 0, idx, kind, count_before, count_after;
    assert_ok(unetseg_model_layer_count(m, &count_before));
    assert_ok(insert(m, "glob:stage2_unit1_relu1", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.2,
                     UNETSEG_INSERT_AFTER, &n));
    assert_int_equal(n, 1);
    assert_ok(unetseg_model_layer_count(m, &count_after));
    assert_int_equal(count_after, count_before + 1);
    assert_string_equal(inbound_of(m, "stage2_unit1_relu1_dropout", 0), "stage2_unit1_relu1");
    assert_string_equal(inbound_of(m, "stage2_unit1_sc", 0), "stage2_unit1_relu1_dropout");
    assert_string_equal(inbound_of(m, "decoder_stage2_concat", 1), "stage2_unit1_relu1_dropout");
    /* the padding right before conv1 */
    assert_ok(unetseg_model_layer_index(m, "stage2_unit1_conv1", &idx));
    const char *pad = inbound_of(m, "stage2_unit1_conv1", 0);
    assert_string_equal(inbound_of(m, pad, 0), "stage2_unit1_relu1_dropout");
    /* placed right after its target, region inherited */
    assert_ok(unetseg_model_layer_index(m, "stage2_unit1_relu1_dropout", &idx));
    const char *prev = NULL;
    assert_ok(unetseg_model_layer_name(m, idx - 1, &prev));
    assert_string_equal(prev, "stage2_unit1_relu1");
    assert_ok(unetseg_model_layer_kind(m, idx, &kind));
    assert_int_equal(kind, UNETSEG_LAYER_SPATIAL_DROPOUT2D);
    int32_t region;
    assert_ok(unetseg_model_layer_region(m, idx, &region));
    assert_int_equal(region, UNETSEG_REGION_ENCODER);
    /* the summary shows it, with its consumers */
    const char *text = NULL;
    assert_ok(unetseg_model_summary(m, &text));
    assert_non_null(strstr(text, "stage2_unit1_relu1_dropout     SpatialDropout2D"));
    assert_non_null(strstr(text, "decoder_stage2_upsampling, stage2_unit1_relu1_dropout"));
    unetseg_model_free(m);
}

/* Recipe (1) of the original question: Dropout after the encoder convs except
 * the last one in each unit = after every stageS_unitU_conv1 (16 units). */
static void recipe_and_repeats(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet34", 64);
    int32_t n = 0, total;
    assert_ok(insert(m, "conv1 & stage & region=encoder", UNETSEG_LAYER_DROPOUT, 0.3,
                     UNETSEG_INSERT_AFTER, &n));
    assert_int_equal(n, 16);
    assert_ok(unetseg_model_layer_count(m, &total));
    assert_int_equal(total, 199 + 16);
    /* inserted layers are never re-matched ("conv1" is in their names) */
    assert_status(insert(m, "conv1 & stage & region=encoder", UNETSEG_LAYER_DROPOUT, 0.3,
                         UNETSEG_INSERT_AFTER, &n),
                  UNETSEG_E_NAME_EXISTS);
    assert_error_mentions("stage1_unit1_conv1_dropout");
    assert_int_equal(n, 0);
    assert_ok(unetseg_model_layer_count(m, &total));
    assert_int_equal(total, 199 + 16);
    /* 'block' matches nothing: NO_MATCH naming real layers */
    assert_status(insert(m, "block", UNETSEG_LAYER_DROPOUT, 0.3, UNETSEG_INSERT_AFTER, &n),
                  UNETSEG_E_NO_MATCH);
    assert_error_mentions("'block'");
    unetseg_model_free(m);
}

static void before_insertion(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet18", 64);
    int32_t n = 0;
    /* before final_conv: the users' favourite placement */
    assert_ok(insert(m, "glob:final_conv", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.2,
                     UNETSEG_INSERT_BEFORE, &n));
    assert_int_equal(n, 1);
    assert_string_equal(inbound_of(m, "final_conv", 0), "final_conv_dropout");
    assert_string_equal(inbound_of(m, "final_conv_dropout", 0), "decoder_stage4b_relu");
    /* multi-input layers and the input layer cannot take a dropout before them */
    assert_status(insert(m, "kind=add", UNETSEG_LAYER_DROPOUT, 0.2, UNETSEG_INSERT_BEFORE, &n),
                  UNETSEG_E_INVALID_ARG);
    assert_error_mentions("2 inputs");
    assert_status(insert(m, "kind=inputlayer", UNETSEG_LAYER_DROPOUT, 0.2, UNETSEG_INSERT_BEFORE, &n),
                  UNETSEG_E_INVALID_ARG);
    unetseg_model_free(m);
}

/* A failing insertion leaves the model byte-identical (summary and weights). */
static void all_or_nothing(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet18", 64);
    int32_t n = 0;
    const char *text = NULL;
    assert_ok(insert(m, "glob:decoder_stage3b_conv", UNETSEG_LAYER_DROPOUT, 0.1,
                     UNETSEG_INSERT_AFTER, &n));
    assert_ok(unetseg_model_summary(m, &text));
    char *before = strdup(text);
    /* decoder convs: stage3b already has a dropout -> NAME_EXISTS, nothing added */
    assert_status(insert(m, "re:^decoder_stage[0-4][ab]_conv$", UNETSEG_LAYER_DROPOUT, 0.1,
                         UNETSEG_INSERT_AFTER, &n),
                  UNETSEG_E_NAME_EXISTS);
    assert_ok(unetseg_model_summary(m, &text));
    assert_string_equal(text, before);
    free(before);
    unetseg_model_free(m);
}

static void options_and_bad_arguments(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet18", 64);
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *o = NULL;
    int32_t n = 5;
    assert_ok(unetseg_matcher_parse("glob:relu1", &mt));
    assert_ok(unetseg_insert_options_create(&o));
    assert_status(unetseg_insert_options_set_kind(o, UNETSEG_LAYER_CONV2D), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_rate(o, 1.0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_mode(o, 7, 0), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_position(o, 2), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_suffix(o, "bad/suffix"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_suffix(o, ""), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_allow_no_match(o, 3), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_set_rate(NULL, 0.1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_insert_options_create(NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_insert_dropout(NULL, mt, o, &n), UNETSEG_E_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_status(unetseg_model_insert_dropout(m, NULL, o, &n), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_insert_dropout(m, mt, NULL, &n), UNETSEG_E_INVALID_ARG);
    /* custom suffix and ConditionalDropout(ALWAYS, spatial) after the encoder output */
    assert_ok(unetseg_insert_options_set_kind(o, UNETSEG_LAYER_CONDITIONAL_DROPOUT));
    assert_ok(unetseg_insert_options_set_mode(o, UNETSEG_DROPOUT_ALWAYS, 1));
    assert_ok(unetseg_insert_options_set_suffix(o, "_mc"));
    assert_ok(unetseg_model_insert_dropout(m, mt, o, &n));
    assert_int_equal(n, 1);
    assert_string_equal(inbound_of(m, "decoder_stage0_upsampling", 0), "relu1_mc");
    /* zero matches allowed on request */
    unetseg_matcher *none = NULL;
    assert_ok(unetseg_matcher_parse("down", &none));
    assert_status(unetseg_model_insert_dropout(m, none, o, &n), UNETSEG_E_NO_MATCH);
    assert_ok(unetseg_insert_options_set_allow_no_match(o, 1));
    assert_ok(unetseg_model_insert_dropout(m, none, o, &n));
    assert_int_equal(n, 0);
    unetseg_matcher_free(none);
    unetseg_insert_options_free(o);
    unetseg_matcher_free(mt);
    unetseg_model_free(m);
}

/* Inserting into a model with weights: inference output unchanged, weights
 * saved and loaded by name, and the file rebuilds the edited model. */
static void weights_and_inference_survive_insertion(void **state) {
    (void)state;
    unetseg_model *m = unet("resnet18", 64), *back = NULL;
    assert_ok(formula_fill_model(m));
    unetseg_tensor *x = make_tensor4(1, 64, 64, 3, NULL), *y0 = NULL, *y1 = NULL, *y2 = NULL;
    for (int64_t i = 0; i < 64 * 64 * 3; i++) unetseg_tensor_data(x)[i] = (float)(255.0 * formula_u("input", i));
    assert_ok(unetseg_model_forward(m, x, &y0));
    int32_t n;
    assert_ok(insert(m, "conv & stage", UNETSEG_LAYER_DROPOUT, 0.5, UNETSEG_INSERT_AFTER, &n));
    assert_int_equal(n, 16 + 10);
    assert_ok(insert(m, "glob:relu1", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.5, UNETSEG_INSERT_AFTER, &n));
    assert_ok(unetseg_model_forward(m, x, &y1));
    assert_memory_equal(unetseg_tensor_data(y0), unetseg_tensor_data(y1), 64 * 64 * sizeof(float));
    char dir[] = "/tmp/unetseg-insert-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    assert_ok(unetseg_model_save_weights(m, path));
    assert_ok(unetseg_model_load(path, &back));
    const char *a, *b;
    assert_ok(unetseg_model_summary(m, &a));
    assert_ok(unetseg_model_summary(back, &b));
    assert_string_equal(a, b);
    assert_ok(unetseg_model_forward(back, x, &y2));
    assert_memory_equal(unetseg_tensor_data(y0), unetseg_tensor_data(y2), 64 * 64 * sizeof(float));
    /* Monte-Carlo masks survive the save/load too (keyed on layer names) */
    unetseg_tensor *mc_a = NULL, *mc_b = NULL;
    assert_ok(unetseg_model_predict_mc(m, x, 3, 11, &mc_a, NULL, NULL));
    assert_ok(unetseg_model_predict_mc(back, x, 3, 11, &mc_b, NULL, NULL));
    assert_memory_equal(unetseg_tensor_data(mc_a), unetseg_tensor_data(mc_b), 64 * 64 * sizeof(float));
    assert_memory_not_equal(unetseg_tensor_data(mc_a), unetseg_tensor_data(y0), 64 * 64 * sizeof(float));
    unetseg_tensor_free(mc_a);
    unetseg_tensor_free(mc_b);
    unlink(path);
    rmdir(dir);
    unetseg_tensor_free(x);
    unetseg_tensor_free(y0);
    unetseg_tensor_free(y1);
    unetseg_tensor_free(y2);
    unetseg_model_free(back);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(after_rewires_every_consumer),
        cmocka_unit_test(recipe_and_repeats),
        cmocka_unit_test(before_insertion),
        cmocka_unit_test(all_or_nothing),
        cmocka_unit_test(options_and_bad_arguments),
        cmocka_unit_test(weights_and_inference_survive_insertion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
