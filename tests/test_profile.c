/* Per-layer profiling (unetseg_model_set_profiling, unetseg_model_layer_profile,
 * unetseg_model_profile): what runs is counted once a run, what is fused or
 * reused is not, the times fit inside a clock read around the passes, one
 * thread is never idle, training is not profiled, profiling changes no
 * output bit, and every argument is checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/test_support.h"

#define SIDE 16
#define PASSES 3
#define MC_SAMPLES 4

/* data -> c1 -> bn -> relu -> drop (ConditionalDropout, TRAINING) -> head
 * -> sigmoid. */
static unetseg_model *small_model(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", SIDE, SIDE, 3));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "data", 8, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 0));
    assert_ok(unetseg_model_add_batchnorm(m, "bn", "c1", 1e-3, 0.99, 1, 1));
    assert_ok(unetseg_model_add_activation(m, "relu", "bn", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conditional_dropout(m, "drop", "relu", 0.3, UNETSEG_DROPOUT_TRAINING, 0));
    assert_ok(unetseg_model_add_conv2d(m, "head", "drop", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID));
    assert_ok(unetseg_model_set_threads(m, 1));
    return m;
}

static unetseg_tensor *input_of(int64_t n, int64_t side) {
    unetseg_tensor *x = make_tensor4(n, side, side, 3, NULL);
    for (int64_t i = 0; i < n * side * side * 3; i++) unetseg_tensor_data(x)[i] = (float)(i * 37 % 256) / 255.0f;
    return x;
}

static void forward_n(unetseg_model *m, const unetseg_tensor *x, int n) {
    for (int i = 0; i < n; i++) {
        unetseg_tensor *y = NULL;
        assert_ok(unetseg_model_forward(m, x, &y));
        unetseg_tensor_free(y);
    }
}

static int64_t runs_of(const unetseg_model *m, const char *name) {
    int32_t index = -1;
    int64_t runs = -1;
    assert_ok(unetseg_model_layer_index(m, name, &index));
    assert_ok(unetseg_model_layer_profile(m, index, &runs, NULL, NULL));
    return runs;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static void off_by_default(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    unetseg_tensor *x = input_of(1, SIDE);
    forward_n(m, x, 2);
    assert_int_equal(runs_of(m, "c1"), 0);
    int32_t count = 0;
    assert_ok(unetseg_model_layer_count(m, &count));
    for (int32_t i = 0; i < count; i++) {
        int64_t runs = -1;
        double total = -1, idle = -1;
        assert_ok(unetseg_model_layer_profile(m, i, &runs, &total, &idle));
        assert_int_equal(runs, 0);
        assert_true(total == 0.0 && idle == 0.0);
    }
    const char *text = NULL;
    assert_ok(unetseg_model_profile(m, &text));
    assert_non_null(strstr(text, "Profiling is off"));
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Convs run once a pass; the BatchNormalization and ReLU after c1 are
 * folded into it at inference and the dropout is the identity: they never
 * run on their own. The layer times add up to less than a clock read
 * around the passes, and one thread is never idle. */
static void counts_runs_and_times_them(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    unetseg_tensor *x = input_of(2, SIDE);
    forward_n(m, x, 1); /* shapes, buffers: not profiled */
    assert_ok(unetseg_model_set_profiling(m, 1));
    const double t0 = now_ms();
    forward_n(m, x, PASSES);
    const double wall = now_ms() - t0;
    assert_int_equal(runs_of(m, "c1"), PASSES);
    assert_int_equal(runs_of(m, "head"), PASSES);
    assert_int_equal(runs_of(m, "data"), 0);
    assert_int_equal(runs_of(m, "bn"), 0);
    assert_int_equal(runs_of(m, "relu"), 0);
    int32_t count = 0;
    assert_ok(unetseg_model_layer_count(m, &count));
    double sum = 0, slowest = 0;
    int32_t slowest_index = -1;
    for (int32_t i = 0; i < count; i++) {
        int64_t runs = 0;
        double total = -1, idle = -1;
        assert_ok(unetseg_model_layer_profile(m, i, &runs, &total, &idle));
        assert_true(runs == 0 ? total == 0.0 : total > 0.0);
        assert_true(idle == 0.0); /* one thread */
        sum += total;
        if (total > slowest) slowest = total, slowest_index = i;
    }
    assert_true(sum > 0.0 && sum <= wall);
    /* the table: the passes, and the slowest layer on its first row */
    const char *text = NULL, *name = NULL;
    assert_ok(unetseg_model_profile(m, &text));
    assert_non_null(strstr(text, "Profile of 3 inference passes"));
    assert_ok(unetseg_model_layer_name(m, slowest_index, &name));
    const char *first_row = strchr(strchr(text, '\n') + 1, '\n') + 1;
    char expected[64];
    snprintf(expected, sizeof expected, "%-5d%s ", slowest_index, name);
    assert_memory_equal(first_row, expected, strlen(expected));
    assert_non_null(strstr(text, "did not run on their own"));
    /* turning it off clears it */
    assert_ok(unetseg_model_set_profiling(m, 0));
    assert_int_equal(runs_of(m, "c1"), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Monte-Carlo prediction runs the part before the first dropout once per
 * call and the rest once per sample. */
static void mc_counts_reused_layers_once(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    unetseg_tensor *x = input_of(1, SIDE), *mean = NULL;
    assert_ok(unetseg_model_set_profiling(m, 1));
    assert_ok(unetseg_model_predict_mc(m, x, MC_SAMPLES, 7, &mean, NULL, NULL));
    assert_int_equal(runs_of(m, "c1"), 1);
    assert_int_equal(runs_of(m, "drop"), MC_SAMPLES);
    assert_int_equal(runs_of(m, "head"), MC_SAMPLES);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Training steps are not inference passes: nothing is added. */
static void training_is_not_profiled(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    unetseg_tensor *x = input_of(2, SIDE), *mask = make_tensor4(2, SIDE, SIDE, 1, NULL);
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(&o));
    assert_ok(unetseg_trainer_create(m, o, &t));
    assert_ok(unetseg_model_set_profiling(m, 1));
    forward_n(m, x, 1);
    assert_ok(unetseg_trainer_step(t, x, mask, NULL));
    assert_int_equal(runs_of(m, "c1"), 1);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    unetseg_tensor_free(mask);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Layers added after gathering: the old counts described other indices, so
 * they are gone; the next pass counts again. */
static void added_layers_clear_the_profile(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    unetseg_tensor *x = input_of(1, SIDE);
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *io = NULL;
    assert_ok(unetseg_model_set_profiling(m, 1));
    forward_n(m, x, 2);
    assert_int_equal(runs_of(m, "head"), 2);
    const char *before = NULL;
    assert_ok(unetseg_model_profile(m, &before));
    const size_t before_len = strlen(before);
    assert_ok(unetseg_matcher_parse("c1", &mt));
    assert_ok(unetseg_insert_options_create(&io));
    assert_ok(unetseg_model_insert_dropout(m, mt, io, NULL));
    assert_int_equal(runs_of(m, "head"), 0);
    forward_n(m, x, 1); /* clears the numbers; the table text stays the caller's to read */
    assert_int_equal(strlen(before), before_len);
    assert_non_null(strstr(before, "Profile of 2 inference passes"));
    assert_ok(unetseg_model_set_profiling(m, 1));
    const char *text = NULL;
    assert_ok(unetseg_model_profile(m, &text));
    assert_non_null(strstr(text, "No inference pass profiled"));
    forward_n(m, x, 1);
    assert_int_equal(runs_of(m, "head"), 1);
    unetseg_insert_options_free(io);
    unetseg_matcher_free(mt);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Two threads on Unet('resnet18') 64x64: every layer's idle time lies
 * within its thread time (0 .. 2 x its wall time), some is counted, and
 * the output is the same bits with profiling on as off. The last layer, a
 * sigmoid over 2 x 64 x 64 values (too few to split), runs on one thread:
 * the other is idle all its time, so its idle time is its wall time. */
static void two_threads_count_idle_time(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_options_set_seed(o, 42));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_model_set_threads(m, 2));
    unetseg_tensor *x = input_of(2, 64), *plain = NULL, *profiled = NULL;
    assert_ok(unetseg_model_forward(m, x, &plain));
    assert_ok(unetseg_model_set_profiling(m, 1));
    assert_ok(unetseg_model_forward(m, x, &profiled));
    int64_t numel = 0;
    assert_ok(unetseg_tensor_numel(plain, &numel));
    assert_memory_equal(unetseg_tensor_data(plain), unetseg_tensor_data(profiled),
                        (size_t)numel * sizeof(float));
    int32_t count = 0;
    assert_ok(unetseg_model_layer_count(m, &count));
    double idle_sum = 0;
    for (int32_t i = 0; i < count; i++) {
        double total = 0, idle = 0;
        assert_ok(unetseg_model_layer_profile(m, i, NULL, &total, &idle));
        assert_true(idle >= 0.0 && idle <= 2.0 * total);
        idle_sum += idle;
    }
    assert_true(idle_sum > 0.0);
    int64_t runs = 0;
    double total = 0, idle = 0;
    assert_ok(unetseg_model_layer_profile(m, count - 1, &runs, &total, &idle));
    assert_int_equal(runs, 1);
    assert_true(total > 0.0 && idle == total);
    unetseg_tensor_free(plain);
    unetseg_tensor_free(profiled);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
}

static void bad_arguments(void **state) {
    (void)state;
    unetseg_model *m = small_model();
    const char *text = "untouched";
    assert_status(unetseg_model_set_profiling(NULL, 1), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("model is NULL");
    assert_status(unetseg_model_set_profiling(m, 2), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("0 or 1");
    assert_status(unetseg_model_layer_profile(NULL, 0, NULL, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_layer_profile(m, -1, NULL, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("not in 0..6");
    assert_status(unetseg_model_layer_profile(m, 7, NULL, NULL, NULL), UNETSEG_E_INVALID_ARG);
    assert_ok(unetseg_model_layer_profile(m, 6, NULL, NULL, NULL)); /* any output may be NULL */
    assert_status(unetseg_model_profile(NULL, &text), UNETSEG_E_INVALID_ARG);
    assert_string_equal(text, "untouched");
    assert_status(unetseg_model_profile(m, NULL), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("NULL argument");
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_by_default),
        cmocka_unit_test(counts_runs_and_times_them),
        cmocka_unit_test(mc_counts_reused_layers_once),
        cmocka_unit_test(training_is_not_profiled),
        cmocka_unit_test(added_layers_clear_the_profile),
        cmocka_unit_test(two_threads_count_idle_time),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
