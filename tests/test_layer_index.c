/* Lookups of layers by name and by id (src/graph/layer_index.c) give what a
 * scan of the layer list gives: after building a Unet, after dropout
 * insertion reorders the list, after loading a long graph description, and
 * when the index itself could not be allocated (then lookups scan, and the
 * next append rebuilds it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_support.h"

#include "core/alloc.h"
#include "graph/model.h"
#include "io/graph_text.h"

/* The scan the index replaces. */
static int32_t scan_name(const unetseg_model *m, const char *name) {
    for (int32_t i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

static void lookups_match_a_scan(const unetseg_model *m) {
    for (int32_t i = 0; i < m->n_layers; i++) {
        assert_int_equal(us_model_find(m, m->layers[i].name), i);
        assert_int_equal(scan_name(m, m->layers[i].name), i);
        assert_int_equal(us_model_index_of_id(m, m->layers[i].id), i);
    }
    const char *absent[] = {"no_such_layer", "", "stage1_unit1_relu", "data_"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        assert_int_equal(us_model_find(m, absent[i]), scan_name(m, absent[i]));
    assert_int_equal(us_model_index_of_id(m, -1), -1);
    assert_int_equal(us_model_index_of_id(m, m->next_id), -1);
    assert_int_equal(us_model_index_of_id(m, m->next_id + 1000), -1);
}

static unetseg_model *unet34(void) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    return m;
}

static void built_and_after_insertion(void **state) {
    (void)state;
    unetseg_model *m = unet34();
    assert_true(us_layer_index_fresh(&m->index, m->n_layers));
    lookups_match_a_scan(m);

    int32_t positions[] = {UNETSEG_INSERT_AFTER, UNETSEG_INSERT_BEFORE};
    const char *exprs[] = {"glob:*relu*", "glob:decoder_stage*_conv"};
    for (int k = 0; k < 2; k++) {
        unetseg_matcher *mt = NULL;
        unetseg_insert_options *o = NULL;
        int32_t n = 0, before = m->n_layers;
        assert_ok(unetseg_matcher_parse(exprs[k], &mt));
        assert_ok(unetseg_insert_options_create(&o));
        assert_ok(unetseg_insert_options_set_position(o, positions[k]));
        assert_ok(unetseg_model_insert_dropout(m, mt, o, &n));
        unetseg_insert_options_free(o);
        unetseg_matcher_free(mt);
        assert_true(n > 0);
        assert_int_equal(m->n_layers, before + n);
        assert_true(us_layer_index_fresh(&m->index, m->n_layers));
        lookups_match_a_scan(m);
    }
    unetseg_model_free(m);
}

/* A chain of 5000 ReLUs, as a weights file's metadata could describe it,
 * and the same model after a round trip through the text. */
static void long_description(void **state) {
    (void)state;
    const int n = 5000;
    char *text = malloc((size_t)n * 96 + 256);
    assert_non_null(text);
    int at = sprintf(text, "unetseg-graph 1\ninput_multiple 1\n"
                           "layer inputlayer x0 region=0 trainable=1 inserted=0 height=4 width=4 "
                           "channels=2\n");
    for (int i = 1; i < n; i++)
        at += sprintf(text + at, "layer activation x%d region=0 trainable=1 inserted=0 in=x%d "
                                 "activation=%d\n", i, i - 1, UNETSEG_ACT_RELU);
    unetseg_model *m = NULL;
    assert_ok(us_graph_from_text(text, -1, &m));
    assert_int_equal(m->n_layers, n);
    assert_true(us_layer_index_fresh(&m->index, m->n_layers));
    lookups_match_a_scan(m);
    assert_int_equal(us_model_find(m, "x4999"), 4999);
    assert_int_equal(us_model_find(m, "x5000"), -1);

    char *again = NULL;
    unetseg_model *copy = NULL;
    assert_ok(us_graph_to_text(m, &again));
    assert_ok(us_graph_from_text(again, -1, &copy));
    lookups_match_a_scan(copy);
    for (int32_t i = 0; i < n; i++) assert_string_equal(copy->layers[i].name, m->layers[i].name);
    free(again);
    unetseg_model_free(copy);
    unetseg_model_free(m);
    free(text);
}

/* Walk a failing allocation through the first append: it succeeds or says
 * NOMEM, lookups stay right, and where only the index failed (the layer is
 * there, the index is not) the next append rebuilds it. */
static void index_allocation_failure(void **state) {
    (void)state;
    int saw_stale = 0;
    for (int64_t k = 1; k < 16; k++) {
        unetseg_model *m = NULL;
        assert_ok(unetseg_model_create(&m));
        us_test_fail_allocation(k);
        int32_t st = unetseg_model_add_input(m, "in", 8, 8, 2);
        us_test_fail_allocation(0);
        assert_true(st == UNETSEG_OK || st == UNETSEG_E_NOMEM);
        assert_int_equal(m->n_layers, st == UNETSEG_OK);
        lookups_match_a_scan(m);
        if (st == UNETSEG_OK && !us_layer_index_fresh(&m->index, m->n_layers)) {
            saw_stale = 1;
            assert_int_equal(us_model_find(m, "in"), 0); /* by a scan */
            assert_ok(unetseg_model_add_activation(m, "a", "in", UNETSEG_ACT_RELU));
            assert_true(us_layer_index_fresh(&m->index, m->n_layers));
            lookups_match_a_scan(m);
        }
        unetseg_model_free(m);
    }
    assert_true(saw_stale);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(built_and_after_insertion),
        cmocka_unit_test(long_description),
        cmocka_unit_test(index_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
