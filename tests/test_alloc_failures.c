/* Allocation-failure injection: the k-th allocation fails, for k = 1, 2, ...
 * through every operation. Each call must return UNETSEG_E_NOMEM (or succeed
 * when the failing allocation was not needed), leave its handle usable, and
 * leak nothing (run under ASan/LSan by `make check-asan`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "support/test_support.h"

typedef int32_t (*operation)(void *state);
typedef void (*preparation)(void *state);

/* Walk k = 1.. until the operation succeeds without reaching allocation k
 * (up to `limit` failures, then every `stride`-th k). `prepare` (may be
 * NULL) runs before each attempt, without failures. */
static void walk_prepared(const char *what, preparation prepare, operation op, void *state,
                          int64_t limit, int64_t stride) {
    int64_t k = 1, failures = 0;
    for (;;) {
        if (prepare) prepare(state);
        us_test_fail_allocation(k);
        int32_t st = op(state);
        int64_t made = us_test_fail_allocation(0);
        if (st == UNETSEG_OK && made < k) break; /* finished without hitting k */
        if (st != UNETSEG_OK) {
            if (st != UNETSEG_E_NOMEM)
                print_error("%s: allocation %lld failed -> status %d (%s): %s\n", what,
                            (long long)k, st, unetseg_status_string(st), unetseg_last_error());
            assert_int_equal(st, UNETSEG_E_NOMEM);
            failures++;
        }
        k += k < limit ? 1 : stride;
    }
    printf("  %-26s %lld injected failures\n", what, (long long)failures);
    assert_true(failures > 0);
}

static void walk(const char *what, operation op, void *state, int64_t limit, int64_t stride) {
    walk_prepared(what, NULL, op, state, limit, stride);
}

/* ------------------------------------------------------------- operations */
static int32_t build_small(unetseg_model **out) {
    unetseg_model *m = NULL;
    const char *cat[2] = {"up", "relu"}, *sum[2] = {"c2", "c3"};
    int32_t st = unetseg_model_create(&m);
    if (!st) st = unetseg_model_add_input(m, "data", 8, 8, 3);
    if (!st) st = unetseg_model_add_zero_padding2d(m, "pad", "data", 1, 1, 1, 1);
    if (!st) st = unetseg_model_add_conv2d(m, "c1", "pad", 4, 3, 3, 1, 1, UNETSEG_PADDING_VALID, 0);
    if (!st) st = unetseg_model_add_batchnorm(m, "bn", "c1", 1e-3, 0.99, 1, 1);
    if (!st) st = unetseg_model_add_activation(m, "relu", "bn", UNETSEG_ACT_RELU);
    if (!st) st = unetseg_model_add_max_pooling2d(m, "pool", "relu", 2, 2, 2, 2, UNETSEG_PADDING_VALID);
    if (!st) st = unetseg_model_add_conv2d_transpose(m, "tr", "pool", 4, 4, 4, 2, 2, UNETSEG_PADDING_SAME, 1);
    if (!st) st = unetseg_model_add_upsampling2d(m, "up", "pool", 2, 2, UNETSEG_INTERP_NEAREST);
    if (!st) st = unetseg_model_add_concatenate(m, "cat", cat, 2);
    if (!st) st = unetseg_model_add_conv2d(m, "c2", "cat", 4, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1);
    if (!st) st = unetseg_model_add_conv2d(m, "c3", "tr", 4, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1);
    if (!st) st = unetseg_model_add_add(m, "sum", sum, 2);
    if (!st) st = unetseg_model_add_conditional_dropout(m, "drop", "sum", 0.3, UNETSEG_DROPOUT_TRAINING, 1);
    if (!st) st = unetseg_model_add_conv2d(m, "head", "drop", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
    if (!st) st = unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID);
    if (st) {
        unetseg_model_free(m);
        m = NULL;
    }
    *out = m;
    return st;
}

static int32_t op_build(void *state) {
    (void)state;
    unetseg_model *m = NULL;
    int32_t st = build_small(&m);
    unetseg_model_free(m);
    return st;
}

typedef struct fixture {
    unetseg_model *m;
    unetseg_tensor *x, *y;
    char dir[64], path[96];
} fixture;

static int32_t op_forward(void *state) {
    fixture *f = state;
    unetseg_tensor *y = NULL;
    int32_t st = unetseg_model_forward(f->m, f->x, &y);
    unetseg_tensor_free(y);
    return st;
}

static int32_t op_forward_observed(void *state) {
    fixture *f = state;
    const char *names[2] = {"bn", "cat"};
    unetseg_tensor *acts[2], *y = NULL;
    int32_t st = unetseg_model_forward_with_activations(f->m, f->x, names, 2, acts, &y);
    if (!st) {
        unetseg_tensor_free(acts[0]);
        unetseg_tensor_free(acts[1]);
    }
    unetseg_tensor_free(y);
    return st;
}

static int32_t op_mc(void *state) {
    fixture *f = state;
    unetseg_tensor *a = NULL, *b = NULL, *c = NULL;
    int32_t st = unetseg_model_predict_mc(f->m, f->x, 3, 1, &a, &b, &c);
    unetseg_tensor_free(a);
    unetseg_tensor_free(b);
    unetseg_tensor_free(c);
    return st;
}

/* Tiled prediction of a 13x11 image in 8x8 tiles (several per axis, with
 * reflection at the borders), plain and Monte-Carlo. */
static int32_t op_tiled(void *state) {
    fixture *f = state;
    unetseg_tile_options *o = NULL;
    unetseg_tensor *x = NULL, *y = NULL, *sd = NULL, *ent = NULL;
    const int64_t shape[4] = {2, 13, 11, 3};
    int32_t st = unetseg_tile_options_create(&o);
    if (!st) st = unetseg_tile_options_set_tile(o, 8, 8);
    if (!st) st = unetseg_tile_options_set_overlap(o, 4);
    if (!st) st = unetseg_tile_options_set_margin(o, 1);
    if (!st) st = unetseg_tile_options_set_batch(o, 3);
    if (!st) st = unetseg_tensor_create(4, shape, &x);
    if (!st) st = unetseg_model_predict_tiled(f->m, x, o, &y);
    unetseg_tensor_free(y);
    y = NULL;
    if (!st) st = unetseg_model_predict_tiled_mc(f->m, x, o, 2, 1, &y, &sd, &ent);
    unetseg_tensor_free(y);
    unetseg_tensor_free(sd);
    unetseg_tensor_free(ent);
    unetseg_tensor_free(x);
    unetseg_tile_options_free(o);
    return st;
}

static int32_t op_summary(void *state) {
    fixture *f = state;
    const char *text = NULL;
    /* the summary is cached: edit the model so that it is rebuilt */
    int32_t st = unetseg_model_set_trainable(f->m, "c1", 1);
    if (!st) st = unetseg_model_summary(f->m, &text);
    return st;
}

/* Profiling: its per-layer arrays (without them a pass runs untimed) and
 * its table. */
static int32_t op_profile(void *state) {
    fixture *f = state;
    const char *text = NULL;
    unetseg_tensor *y = NULL;
    int32_t st = unetseg_model_set_profiling(f->m, 1);
    if (!st) st = unetseg_model_forward(f->m, f->x, &y);
    unetseg_tensor_free(y);
    if (!st) st = unetseg_model_profile(f->m, &text);
    unetseg_model_set_profiling(f->m, 0);
    return st;
}

static int32_t op_save_load(void *state) {
    fixture *f = state;
    unetseg_model *back = NULL;
    int32_t st = unetseg_model_save_weights(f->m, f->path);
    if (!st) st = unetseg_model_load(f->path, &back);
    if (!st) st = unetseg_model_load_weights(back, f->path, UNETSEG_LOAD_STRICT, NULL);
    unetseg_model_free(back);
    return st;
}

/* A fresh model for each insertion attempt; a failed insertion must leave
 * it with its 15 layers. */
static void prepare_insert(void *state) {
    unetseg_model **m = state;
    unetseg_model_free(*m);
    assert_ok(build_small(m));
}

static int32_t op_insert(void *state) {
    unetseg_model *m = *(unetseg_model **)state;
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *o = NULL;
    int32_t n = 0;
    int32_t st = unetseg_matcher_parse("(kind=conv2d | re:^c[0-9]$) & !head", &mt);
    if (!st) st = unetseg_insert_options_create(&o);
    if (!st) st = unetseg_model_insert_dropout(m, mt, o, NULL);
    unetseg_insert_options_free(o);
    unetseg_matcher_free(mt);
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, st ? 15 : 18);
    return st;
}

static int32_t op_train(void *state) {
    fixture *f = state;
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    int32_t st = unetseg_train_options_create(&o);
    if (!st) st = unetseg_train_options_set_loss(o, UNETSEG_LOSS_BCE_DICE);
    if (!st) st = unetseg_trainer_create(f->m, o, &t);
    if (!st) st = unetseg_trainer_step(t, f->x, f->y, NULL);
    if (!st) st = unetseg_trainer_evaluate(t, f->x, f->y, NULL, NULL, NULL);
    if (!st) st = unetseg_trainer_save_checkpoint(t, f->path);
    if (!st) st = unetseg_trainer_load_checkpoint(t, f->path);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    return st;
}

/* A clone, then every way it gets private copies of shared values: the
 * source must keep its values whatever fails (checked after the walks). */
static int32_t op_clone(void *state) {
    fixture *f = state;
    unetseg_model *c = NULL, *cc = NULL;
    unetseg_tensor *k = NULL, *y = NULL;
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    int64_t unique = 0;
    const unetseg_model *others[2];
    int32_t st = unetseg_model_clone(f->m, &c);
    if (!st) st = unetseg_model_clone(c, &cc);
    if (!st) st = unetseg_model_param_get(c, "c1/kernel", &k);
    if (!st) unetseg_tensor_data(k)[0] += 0.5f;
    if (!st) st = unetseg_model_param_set(c, "c1/kernel", k);
    if (!st) st = unetseg_model_forward(c, f->x, &y);
    if (!st) st = unetseg_model_load_weights(cc, f->path, UNETSEG_LOAD_STRICT, NULL);
    if (!st) st = unetseg_train_options_create(&o);
    if (!st) st = unetseg_trainer_create(c, o, &t);
    if (!st) st = unetseg_trainer_step(t, f->x, f->y, NULL);
    if (!st) st = unetseg_trainer_recalibrate_bn(t, f->x, 1);
    others[0] = c, others[1] = cc;
    if (!st) st = unetseg_model_param_bytes(f->m, others, 2, &unique, NULL, NULL);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    unetseg_tensor_free(y);
    unetseg_tensor_free(k);
    unetseg_model_free(c);
    unetseg_model_free(cc);
    return st;
}

static int32_t op_unet(void *state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int64_t filters[2] = {8, 4};
    int32_t st = unetseg_unet_options_create(&o);
    if (!st) st = unetseg_unet_options_set_backbone(o, "resnet18");
    if (!st) st = unetseg_unet_options_set_input_shape(o, 32, 32, 1);
    if (!st) st = unetseg_unet_options_set_decoder_filters(o, filters, 2);
    if (!st) st = unetseg_unet_create(o, &m);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return st;
}

/* ------------------------------------------------------------- tests */
static void every_operation_survives_allocation_failures(void **state) {
    (void)state;
    fixture f = {0};
    snprintf(f.dir, sizeof f.dir, "/tmp/unetseg-alloc-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.path, sizeof f.path, "%s/m.safetensors", f.dir);
    assert_ok(build_small(&f.m));
    f.x = make_tensor4(2, 8, 8, 3, NULL);
    f.y = make_tensor4(2, 8, 8, 1, NULL);
    for (int i = 0; i < 2 * 8 * 8 * 3; i++) unetseg_tensor_data(f.x)[i] = (float)(i % 7) - 3.0f;
    for (int i = 0; i < 2 * 8 * 8; i++) unetseg_tensor_data(f.y)[i] = (float)(i % 2);
    unetseg_tensor *before = NULL, *after = NULL;
    assert_ok(unetseg_model_forward(f.m, f.x, &before));

    walk("build a model", op_build, NULL, 1000, 1);
    walk("forward", op_forward, &f, 1000, 1);
    walk("forward with activations", op_forward_observed, &f, 1000, 1);
    walk("Monte-Carlo prediction", op_mc, &f, 1000, 1);
    walk("tiled prediction", op_tiled, &f, 1000, 1);
    walk("summary", op_summary, &f, 1000, 1);
    walk("profile", op_profile, &f, 1000, 1);
    walk("save and load", op_save_load, &f, 1000, 1);
    walk("clone, its copy-on-write", op_clone, &f, 1000, 1);
    unetseg_model *fresh = NULL;
    walk_prepared("insert dropout", prepare_insert, op_insert, &fresh, 1000, 1);
    unetseg_model_free(fresh);
    /* the failed passes left the model as it was */
    assert_ok(unetseg_model_forward(f.m, f.x, &after));
    assert_memory_equal(unetseg_tensor_data(before), unetseg_tensor_data(after), 2 * 64 * sizeof(float));
    walk("train, evaluate, checkpoint", op_train, &f, 1000, 1);
    walk("Unet('resnet18') builder", op_unet, NULL, 120, 17);

    unetseg_tensor_free(before);
    unetseg_tensor_free(after);
    unetseg_tensor_free(f.x);
    unetseg_tensor_free(f.y);
    unetseg_model_free(f.m);
    unlink(f.path);
    rmdir(f.dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_operation_survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
