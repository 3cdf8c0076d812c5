/* The layer table (src/graph/layer_kinds.c, src/graph/kinds/): every kind
 * has its row, and a layer of every kind, with every setting away from its
 * default, comes back from a saved file (description and weights) with the
 * same settings, parameters and outputs. A setting missing from its kind's
 * field list fails here: the layer would not keep it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph/layer_kinds.h"
#include "io/graph_text.h"
#include "support/test_support.h"

/* A valid configuration of each kind with every setting off its default,
 * and how many inbound layers it takes ("data" and "side", 8x8x3 each). */
typedef struct kind_case {
    int32_t defined;
    int32_t n_in;
    us_layer_config cfg;
} kind_case;

#define CASE(kind, n, ...) [kind] = {1, n, {__VA_ARGS__}}
static const kind_case CASES[UNETSEG_LAYER_KIND_COUNT] = {
    CASE(UNETSEG_LAYER_INPUT, 0, .height = 8, .width = 8, .channels = 3),
    CASE(UNETSEG_LAYER_CONV2D, 1, .filters = 4, .kernel_h = 3, .kernel_w = 2, .stride_h = 2,
         .stride_w = 1, .padding = UNETSEG_PADDING_SAME, .use_bias = 1),
    CASE(UNETSEG_LAYER_CONV2D_TRANSPOSE, 1, .filters = 2, .kernel_h = 3, .kernel_w = 4,
         .stride_h = 2, .stride_w = 3, .padding = UNETSEG_PADDING_SAME, .use_bias = 1),
    CASE(UNETSEG_LAYER_BATCHNORM, 1, .epsilon = 1e-3, .momentum = 0.9, .center = 1, .scale = 1),
    CASE(UNETSEG_LAYER_ACTIVATION, 1, .activation = UNETSEG_ACT_TANH),
    CASE(UNETSEG_LAYER_ZERO_PADDING2D, 1, .pad_top = 1, .pad_bottom = 2, .pad_left = 3,
         .pad_right = 4),
    CASE(UNETSEG_LAYER_MAX_POOLING2D, 1, .kernel_h = 2, .kernel_w = 3, .stride_h = 2, .stride_w = 1,
         .padding = UNETSEG_PADDING_SAME),
    CASE(UNETSEG_LAYER_UPSAMPLING2D, 1, .size_h = 2, .size_w = 3,
         .interpolation = UNETSEG_INTERP_BILINEAR),
    CASE(UNETSEG_LAYER_CONCATENATE, 2, 0),
    CASE(UNETSEG_LAYER_ADD, 2, 0),
    CASE(UNETSEG_LAYER_DROPOUT, 1, .rate = 0.25),
    CASE(UNETSEG_LAYER_SPATIAL_DROPOUT2D, 1, .rate = 0.5),
    CASE(UNETSEG_LAYER_CONDITIONAL_DROPOUT, 1, .rate = 0.3, .mode = UNETSEG_DROPOUT_ALWAYS,
         .spatial = 1),
};

static char tmpdir[] = "/tmp/unetseg-kinds-XXXXXX";

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

static double field_value(const us_cfg_field *f, const us_layer_config *c) {
    const char *p = (const char *)c + f->offset;
    return f->type == US_FIELD_I32   ? *(const int32_t *)p
           : f->type == US_FIELD_I64 ? (double)*(const int64_t *)p
                                     : *(const double *)p;
}

/* Every setting of every kind, field by field (with names in the message),
 * then the whole struct: also members that no kind lists. */
static void assert_config_equal(const char *what, int32_t kind, const us_layer_config *want,
                                const us_layer_config *got) {
    const char *kind_name = us_layer_kind_get(kind)->lower_name;
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT; k++) {
        const us_layer_kind *lk = us_layer_kind_get(k);
        for (int32_t i = 0; i < lk->n_fields; i++) {
            const double w = field_value(&lk->fields[i], want),
                         g = field_value(&lk->fields[i], got);
            if (w != g)
                fail_msg("%s %s: %s is %.17g, not %.17g", what, kind_name, lk->fields[i].key, g, w);
        }
    }
    if (memcmp(want, got, sizeof *want) != 0)
        fail_msg("%s %s: a configuration member that no kind lists differs", what, kind_name);
}

static uint64_t lcg = 12345;
static float next_value(void) { /* in [0.5, 1.5): also a valid variance */
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return 0.5f + (float)(lcg >> 40) / (float)(1 << 24);
}

static void fill_params(unetseg_model *m) {
    int32_t n = 0;
    assert_ok(unetseg_model_param_tensor_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *t;
        int64_t numel;
        assert_ok(unetseg_model_param_tensor_name(m, i, &name));
        char copy[256];
        snprintf(copy, sizeof copy, "%s", name);
        assert_ok(unetseg_model_param_get(m, copy, &t));
        assert_ok(unetseg_tensor_numel(t, &numel));
        for (int64_t e = 0; e < numel; e++) unetseg_tensor_data(t)[e] = next_value();
        assert_ok(unetseg_model_param_set(m, copy, t));
        unetseg_tensor_free(t);
    }
}

/* data (8x8x3) [-> side: relu] -> the layer of `kind`. */
static unetseg_model *build(int32_t kind) {
    const kind_case *c = &CASES[kind];
    const char *inbound[2] = {"data", "side"};
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    if (kind == UNETSEG_LAYER_INPUT) {
        assert_ok(us_model_append(m, "layer", kind, NULL, 0, &c->cfg));
        return m;
    }
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 3));
    assert_ok(unetseg_model_add_activation(m, "side", "data", UNETSEG_ACT_RELU));
    assert_ok(us_model_append(m, "layer", kind, inbound, c->n_in, &c->cfg));
    return m;
}

static const us_layer *layer_of(const unetseg_model *m) {
    const int32_t i = us_model_find(m, "layer");
    assert_true(i >= 0);
    return &m->layers[i];
}

static unetseg_tensor *input_tensor(void) {
    unetseg_tensor *x = make_tensor4(2, 8, 8, 3, NULL);
    for (int64_t e = 0; e < 2 * 8 * 8 * 3; e++) unetseg_tensor_data(x)[e] = next_value() - 1.0f;
    return x;
}

static void assert_tensors_equal(unetseg_tensor *a, unetseg_tensor *b) {
    int64_t na, nb;
    assert_ok(unetseg_tensor_numel(a, &na));
    assert_ok(unetseg_tensor_numel(b, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(unetseg_tensor_data(a), unetseg_tensor_data(b), (size_t)na * sizeof(float));
}

/* Forward and a 2-sample Monte-Carlo pass (every dropout active) agree bit for bit. */
static void assert_same_outputs(unetseg_model *a, unetseg_model *b) {
    unetseg_tensor *x = input_tensor(), *ya, *yb, *ma, *mb;
    assert_ok(unetseg_model_forward(a, x, &ya));
    assert_ok(unetseg_model_forward(b, x, &yb));
    assert_tensors_equal(ya, yb);
    assert_ok(unetseg_model_predict_mc(a, x, 2, 5, &ma, NULL, NULL));
    assert_ok(unetseg_model_predict_mc(b, x, 2, 5, &mb, NULL, NULL));
    assert_tensors_equal(ma, mb);
    unetseg_tensor *all[] = {x, ya, yb, ma, mb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) unetseg_tensor_free(all[i]);
}

static void test_every_kind_has_a_row(void **state) {
    (void)state;
    assert_null(us_layer_kind_get(-1));
    assert_null(us_layer_kind_get(UNETSEG_LAYER_KIND_COUNT));
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT; k++) {
        const us_layer_kind *lk = us_layer_kind_get(k);
        assert_non_null(lk);
        assert_non_null(lk->infer);
        assert_non_null(lk->forward);
        assert_int_equal(us_layer_kind_find(lk->lower_name), k); /* names are unique */
        assert_string_equal(unetseg_layer_kind_name(k), lk->lower_name);
        assert_true(CASES[k].defined); /* and this test has a case for it */
        for (int32_t i = 0; i < lk->n_fields; i++) {
            /* a key means one member, whichever kind lists it */
            const us_cfg_field *f = &lk->fields[i], *g = us_cfg_field_find(0, f->key);
            assert_true(f->offset < sizeof(us_layer_config));
            assert_int_equal(g->offset, f->offset);
            assert_int_equal(g->type, f->type);
        }
    }
}

static void round_trip(int32_t kind) {
    const us_layer_kind *lk = us_layer_kind_get(kind);
    const kind_case *c = &CASES[kind];
    for (int32_t i = 0; i < lk->n_fields; i++)
        if (field_value(&lk->fields[i], &c->cfg) == lk->fields[i].def)
            fail_msg("the case of %s leaves %s at its default", lk->lower_name, lk->fields[i].key);

    unetseg_model *m = build(kind);
    const us_layer *l = layer_of(m);
    assert_config_equal("built", kind, &c->cfg, &l->cfg);
    int64_t count = 0;
    for (int32_t p = 0; p < l->n_params; p++) count += l->params[p].value->numel;
    assert_int_equal(us_layer_param_count(kind, &c->cfg, 3), count);
    fill_params(m);

    char path[128];
    snprintf(path, sizeof path, "%s/%s.safetensors", tmpdir, lk->lower_name);
    assert_ok(unetseg_model_save_weights(m, path));
    unetseg_model *back = NULL;
    assert_ok(unetseg_model_load(path, &back));
    const us_layer *lb = layer_of(back);
    assert_int_equal(lb->kind, kind);
    assert_config_equal("reloaded", kind, &c->cfg, &lb->cfg);
    assert_int_equal(lb->n_params, l->n_params);
    for (int32_t p = 0; p < l->n_params; p++) {
        assert_string_equal(lb->params[p].name, l->params[p].name);
        assert_int_equal(lb->params[p].value->numel, l->params[p].value->numel);
        assert_memory_equal(lb->params[p].value->data, l->params[p].value->data,
                            (size_t)l->params[p].value->numel * sizeof(float));
    }
    char *text = NULL, *text_back = NULL;
    assert_ok(us_graph_to_text(m, &text));
    assert_ok(us_graph_to_text(back, &text_back));
    assert_string_equal(text_back, text);
    free(text);
    free(text_back);
    assert_same_outputs(m, back);
    unetseg_model_free(back);
    unetseg_model_free(m);
}

static void test_round_trip_every_kind(void **state) {
    (void)state;
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT; k++) round_trip(k);
}

/* Files written before settings were per kind may carry another kind's
 * setting (a Dropout inserted with a ConditionalDropout mode): they load,
 * and the layer drops it. A key no kind has is refused. */
static void test_other_kinds_settings(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    assert_ok(us_graph_from_text("unetseg-graph 1\n"
                                 "layer inputlayer data height=8 width=8 channels=3\n"
                                 "layer dropout d in=data rate=0.5 mode=1 spatial=1\n",
                                 -1, &m));
    const us_layer *d = &m->layers[1];
    assert_true(d->cfg.rate == 0.5);
    assert_int_equal(d->cfg.mode, 0);
    assert_int_equal(d->cfg.spatial, 0);
    unetseg_model_free(m);
    assert_status(us_graph_from_text("unetseg-graph 1\n"
                                     "layer inputlayer data height=8 width=8 channels=3\n"
                                     "layer dropout d in=data rate=0.5 colour=1\n",
                                     -1, &m),
                  UNETSEG_E_FORMAT);
    assert_error_mentions("colour");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_has_a_row),
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_other_kinds_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
