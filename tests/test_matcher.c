/* Layer matchers on the real Unet('resnet34') names: the predicate counts of
 * docs/spec/keras_unet_resnet34.md §7 through the text grammar and through
 * the setters, globs, regexes, kinds, regions, callbacks, the grammar's
 * precedence and errors (with columns), bad arguments, and the rule that
 * layers added by dropout insertion are never matched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h" /* tests are built with -Isrc: mark layers as inserted */
#include "support/test_support.h"

/* Built once for the whole group (256x256x3, classes 1, sigmoid). */
static unetseg_model *up_model; /* decoder_block_type "upsampling": 199 layers */
static unetseg_model *tr_model; /* decoder_block_type "transpose" */

static unetseg_model *build_unet(const char *block_type) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    if (unetseg_unet_options_create(&o) != UNETSEG_OK) return NULL;
    if (unetseg_unet_options_set_input_shape(o, 256, 256, 3) == UNETSEG_OK &&
        unetseg_unet_options_set_classes(o, 1) == UNETSEG_OK &&
        unetseg_unet_options_set_decoder_block_type(o, block_type) == UNETSEG_OK)
        unetseg_unet_create(o, &m);
    unetseg_unet_options_free(o);
    return m;
}

static int setup_models(void **state) {
    (void)state;
    up_model = build_unet("upsampling");
    tr_model = build_unet("transpose");
    return up_model && tr_model ? 0 : -1;
}

static int free_models(void **state) {
    (void)state;
    unetseg_model_free(up_model);
    unetseg_model_free(tr_model);
    return 0;
}

/* Number of layers `mt` selects (0 on NO_MATCH; any other status fails). */
static int32_t count_matcher(const unetseg_model *m, const unetseg_matcher *mt) {
    int32_t n = -1;
    int32_t st = unetseg_model_match(m, mt, NULL, 0, &n);
    if (st == UNETSEG_E_NO_MATCH) {
        assert_int_equal(n, 0);
        return 0;
    }
    assert_ok(st);
    assert_true(n > 0);
    return n;
}

/* Number of layers the text expression selects. */
static int32_t count_expr(const unetseg_model *m, const char *expr) {
    unetseg_matcher *mt = NULL;
    int32_t st = unetseg_matcher_parse(expr, &mt);
    if (st != UNETSEG_OK) print_error("expression \"%s\"\n", expr);
    assert_ok(st);
    int32_t n = count_matcher(m, mt);
    unetseg_matcher_free(mt);
    return n;
}

#define assert_count(m, expr, expected)                                            \
    do {                                                                           \
        int32_t got_ = count_expr((m), (expr));                                    \
        if (got_ != (expected))                                                    \
            print_error("\"%s\": %d layers, expected %d\n", (expr), got_,          \
                        (int)(expected));                                          \
        assert_int_equal(got_, (expected));                                        \
    } while (0)

/* ------------------------------------------------------- spec §7 table */

/* One row: the predicate as a grammar expression and as the substrings it
 * requires; counts over the encoder (158 backbone layers) and over the
 * decoder + head (decoder_stage* layers, final_conv, sigmoid). */
typedef struct predicate_row {
    const char *expr;
    const char *words[2];
    int32_t encoder, decoder_up, decoder_tr;
} predicate_row;

static const predicate_row spec_table[] = {
    {"conv & stage", {"conv", "stage"}, 32, 10, 5},
    {"conv", {"conv", NULL}, 33, 11, 6},
    {"block", {"block", NULL}, 0, 0, 0},
    {"conv & block", {"conv", "block"}, 0, 0, 0},
    {"down", {"down", NULL}, 0, 0, 0},
    {"up", {"up", NULL}, 0, 5, 0},
    {"add", {"add", NULL}, 50, 0, 0}, /* 34 zero_p-add-ing2d + 16 add */
    {"relu", {"relu", NULL}, 34, 10, 10},
    {"bn", {"bn", NULL}, 35, 10, 10},
    {"sc", {"sc", NULL}, 4, 0, 0},
    {"stage", {"stage", NULL}, 100, 39, 34},
    {"data", {"data", NULL}, 2, 0, 0},
};
#define N_ROWS (sizeof spec_table / sizeof spec_table[0])

static int32_t count_expr_in(const unetseg_model *m, const char *expr, const char *region) {
    char text[256];
    snprintf(text, sizeof text, "(%s) & %s", expr, region);
    return count_expr(m, text);
}

static void spec_table_through_the_grammar(void **state) {
    (void)state;
    for (size_t r = 0; r < N_ROWS; r++) {
        const predicate_row *row = &spec_table[r];
        const char *dec = "(region=decoder | region=head)";
        print_message("%-14s %3d %3d %3d\n", row->expr, row->encoder, row->decoder_up,
                      row->decoder_tr);
        assert_int_equal(count_expr_in(up_model, row->expr, "region=encoder"), row->encoder);
        assert_int_equal(count_expr_in(tr_model, row->expr, "region=encoder"), row->encoder);
        assert_int_equal(count_expr_in(up_model, row->expr, dec), row->decoder_up);
        assert_int_equal(count_expr_in(tr_model, row->expr, dec), row->decoder_tr);
    }
}

/* The same row with require() and region(); regions 0 = encoder, else
 * decoder + head (two region() calls widen one condition). */
static int32_t count_setters(const unetseg_model *m, const predicate_row *row, int decoder) {
    unetseg_matcher *mt = NULL;
    assert_ok(unetseg_matcher_create(&mt));
    for (int w = 0; w < 2 && row->words[w]; w++) assert_ok(unetseg_matcher_require(mt, row->words[w]));
    if (decoder) {
        assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_DECODER));
        assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_HEAD));
    } else {
        assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_ENCODER));
    }
    int32_t n = count_matcher(m, mt);
    unetseg_matcher_free(mt);
    return n;
}

static void spec_table_through_the_setters(void **state) {
    (void)state;
    for (size_t r = 0; r < N_ROWS; r++) {
        const predicate_row *row = &spec_table[r];
        assert_int_equal(count_setters(up_model, row, 0), row->encoder);
        assert_int_equal(count_setters(tr_model, row, 0), row->encoder);
        assert_int_equal(count_setters(up_model, row, 1), row->decoder_up);
        assert_int_equal(count_setters(tr_model, row, 1), row->decoder_tr);
    }
}

/* ------------------------------------------ zero matches name the culprit */
static void zero_matches_explain_and_suggest_names(void **state) {
    (void)state;
    unetseg_matcher *mt = NULL;
    int32_t idx[4] = {-7, -7, -7, -7}, n = -1;

    /* the popular Keras recipe: 'block' in name */
    assert_ok(unetseg_matcher_parse("block", &mt));
    assert_status(unetseg_model_match(up_model, mt, idx, 4, &n), UNETSEG_E_NO_MATCH);
    assert_int_equal(n, 0);
    assert_int_equal(idx[0], -7);
    assert_error_mentions("no layer name contains 'block'");
    assert_error_mentions("names look like conv0, ");
    assert_error_mentions("decoder_stage0a_conv");
    assert_error_mentions("final_conv");
    unetseg_matcher_free(mt);

    /* 'conv' matches plenty: the message blames the term that matches nothing */
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_require(mt, "conv"));
    assert_ok(unetseg_matcher_require(mt, "down"));
    assert_status(unetseg_model_match(up_model, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layer name contains 'down'");
    assert_error_mentions("conv0");
    unetseg_matcher_free(mt);

    /* a dead term under a NOT is not the reason: 'sc' & 'up' are both alive */
    assert_ok(unetseg_matcher_parse("!block & sc & up", &mt));
    assert_status(unetseg_model_match(up_model, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layer matches all the conditions; names look like conv0");
    unetseg_matcher_free(mt);

    assert_ok(unetseg_matcher_parse("conv & glob:block*", &mt));
    assert_status(unetseg_model_match(up_model, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layer name matches glob 'block*'");
    unetseg_matcher_free(mt);

    /* the transpose decoder has a_transpose, not a_conv */
    assert_ok(unetseg_matcher_parse("re:^decoder_stage[0-4]a_conv$", &mt));
    assert_status(unetseg_model_match(tr_model, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layer name matches regex '^decoder_stage[0-4]a_conv$'");
    assert_error_mentions("decoder_stage0a_transpose");
    unetseg_matcher_free(mt);

    assert_int_equal(count_expr(up_model, "kind=dropout"), 0);
}

/* ------------------------------------------------------ globs and regexes */
static void globs_and_regexes(void **state) {
    (void)state;
    /* stage*_unit1_*: the name starts with "stage" and contains "_unit1_"
     * later (no unit number exceeds 6, so no unit1x). Each of the 4 first
     * units has 7 named layers (bn1, relu1, conv1, bn2, relu2, conv2, sc);
     * its 2 paddings and its Add are auto-named, and decoder names start
     * with "decoder_": 4 * 7 = 28. */
    assert_count(up_model, "glob:stage*_unit1_*", 28);
    assert_count(tr_model, "glob:stage*_unit1_*", 28);
    /* the whole name must match: "stage" alone matches no name */
    assert_count(up_model, "glob:stage", 0);
    assert_count(up_model, "glob:'*_sc'", 4);
    /* stage4_unit{1,2,3}_conv{1,2}: 6 */
    assert_count(up_model, "glob:stage4_unit?_conv[12]", 6);
    /* zero_padding2d, zero_padding2d_1 .. _33 */
    assert_count(up_model, "glob:zero_padding2d*", 34);

    assert_count(up_model, "re:^decoder_stage[0-4]a_conv$", 5);
    assert_count(up_model, "re:_conv$", 10 + 1); /* 10 decoder convs and final_conv */
    assert_count(up_model, "re:conv", 44);       /* unanchored: like the substring */
    assert_count(up_model, "re:'^(relu0|relu1)$'", 2);
    assert_count(tr_model, "re:^decoder_stage[0-4]a_transpose$", 5);

    unetseg_matcher *mt = NULL;
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_glob(mt, "stage*_unit1_*"));
    assert_ok(unetseg_matcher_regex(mt, "_(sc|conv1)$"));
    assert_int_equal(count_matcher(up_model, mt), 8); /* 4 sc + 4 unit1 conv1 */
    assert_status(unetseg_matcher_regex(mt, "a("), UNETSEG_E_SYNTAX);
    assert_error_mentions("matcher_regex: bad regex 'a('");
    assert_int_equal(count_matcher(up_model, mt), 8); /* unchanged by the failure */
    unetseg_matcher_free(mt);
}

/* ------------------------------------------------------- kinds, regions */
static void kinds_and_regions(void **state) {
    (void)state;
    /* conv0 + 32 unit convs + 4 sc + 10 decoder convs + final_conv */
    assert_count(up_model, "kind=conv2d", 48);
    assert_count(up_model, "kind=conv2dtranspose", 0);
    assert_count(tr_model, "kind=conv2dtranspose", 5);
    assert_count(tr_model, "kind=conv2d", 1 + 32 + 4 + 5 + 1);
    assert_count(up_model, "kind=Conv2D", 48); /* names are case-insensitive */
    assert_count(up_model, "kind=batchnormalization", 35 + 10);
    assert_count(up_model, "kind=activation", 34 + 10 + 1); /* relus + sigmoid */
    assert_count(up_model, "kind=zeropadding2d", 34);
    assert_count(up_model, "kind=add", 16);
    assert_count(up_model, "kind=concatenate", 4);
    assert_count(up_model, "kind=upsampling2d", 5);
    assert_count(up_model, "kind=maxpooling2d", 1);
    assert_count(up_model, "kind=inputlayer", 1);
    assert_count(up_model, "kind=dropout | kind=spatialdropout2d | kind=conditionaldropout", 0);
    /* every layer has exactly one kind: 199 in all */
    assert_count(up_model,
                 "kind=inputlayer | kind=conv2d | kind=batchnormalization | kind=activation | "
                 "kind=zeropadding2d | kind=maxpooling2d | kind=upsampling2d | "
                 "kind=concatenate | kind=add",
                 199);
    assert_count(up_model, "kind=conv2d & !kind=conv2d", 0);

    assert_count(up_model, "region=encoder", 158);
    assert_count(up_model, "region=decoder", 39);
    assert_count(up_model, "region=head", 2);
    assert_count(tr_model, "region=decoder", 34);
    assert_count(up_model, "region=decoder | region=head", 41);
    assert_count(up_model, "kind=conv2d & region=head", 1);

    /* setters: repeated kind()/region() calls widen one condition */
    unetseg_matcher *mt = NULL;
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_kind(mt, UNETSEG_LAYER_CONV2D));
    assert_int_equal(count_matcher(tr_model, mt), 43);
    assert_ok(unetseg_matcher_kind(mt, UNETSEG_LAYER_CONV2D_TRANSPOSE));
    assert_int_equal(count_matcher(tr_model, mt), 48);
    assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_DECODER));
    assert_int_equal(count_matcher(tr_model, mt), 10);
    assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_HEAD));
    assert_int_equal(count_matcher(tr_model, mt), 11);
    unetseg_matcher_free(mt);

    /* after parse, kind() adds a new condition ANDed to the expression */
    assert_ok(unetseg_matcher_parse("sc | conv0", &mt));
    assert_ok(unetseg_matcher_kind(mt, UNETSEG_LAYER_CONV2D));
    assert_int_equal(count_matcher(up_model, mt), 5);
    assert_ok(unetseg_matcher_region(mt, UNETSEG_REGION_DECODER));
    assert_int_equal(count_matcher(up_model, mt), 0);
    unetseg_matcher_free(mt);
}

/* -------------------------------------------------------------- callback */
typedef struct callback_log {
    int32_t calls, convs_among_sc;
} callback_log;

static int32_t ends_in_sc(const char *name, int32_t kind, void *user) {
    callback_log *log = user;
    size_t len = strlen(name);
    int hit = len >= 3 && strcmp(name + len - 3, "_sc") == 0;
    log->calls++;
    if (hit && kind == UNETSEG_LAYER_CONV2D) log->convs_among_sc++;
    return hit ? 7 : 0; /* any non-zero selects */
}

static void callback_selects_with_user_pointer(void **state) {
    (void)state;
    callback_log log = {0, 0};
    unetseg_matcher *mt = NULL;
    int32_t idx[8], n = 0;
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_callback(mt, ends_in_sc, &log));
    assert_ok(unetseg_model_match(up_model, mt, idx, 8, &n));
    assert_int_equal(n, 4);
    assert_int_equal(log.calls, 199); /* once per layer */
    assert_int_equal(log.convs_among_sc, 4);
    assert_string_equal(up_model->layers[idx[0]].name, "stage1_unit1_sc");
    assert_string_equal(up_model->layers[idx[3]].name, "stage4_unit1_sc");

    /* AND with a substring: the callback still holds for stage2 only */
    assert_ok(unetseg_matcher_require(mt, "stage2"));
    assert_int_equal(count_matcher(up_model, mt), 1);
    unetseg_matcher_free(mt);
}

/* ---------------------------------------------------- grammar semantics */
static void grammar_precedence_not_parentheses_quotes(void **state) {
    (void)state;
    /* counts over the whole upsampling model: conv 44, conv & stage 42,
     * stage 139, bn 45 (10 in the decoder), relu 44 (10 in the decoder) */
    assert_count(up_model, "conv & stage & !conv3 & region=encoder", 32);
    assert_count(up_model, "(relu | bn) & region=decoder", 20);
    /* & binds tighter than |: conv | (bn & decoder) */
    assert_count(up_model, "conv | bn & region=decoder", 44 + 10);
    assert_count(up_model, "bn & region=decoder | conv", 10 + 44);
    assert_count(up_model, "(conv | bn) & region=decoder", 10 + 10);
    /* ! binds tighter than &: (!conv) & stage */
    assert_count(up_model, "!conv & stage", 139 - 42);
    assert_count(up_model, "!(conv & stage)", 199 - 42);
    assert_count(up_model, "!!conv", 44);
    assert_count(up_model, "! ! ( ( conv ) )", 44);
    assert_count(up_model, "((conv & (stage)) | (sc))", 42 + 4);
    /* whitespace is optional and ignored */
    assert_count(up_model, "conv&stage", 42);
    assert_count(up_model, " \t conv  &\tstage \n", 42);
    /* the encoder layers named none of these are data and pooling0 */
    assert_count(up_model, "!conv&!stage&!add&!bn&!relu&region=encoder", 2);
    /* quoting: operators and prefixes lose their meaning inside quotes */
    assert_count(up_model, "'add'", 50);
    assert_count(up_model, "'stage1_unit1_sc'", 1);
    assert_count(up_model, "'kind=conv2d'", 0);
    assert_count(up_model, "'conv' & 'stage'", 42);
    assert_count(up_model, "'a|b' | sigmoid", 1);
    /* a full name is a word like any other */
    assert_count(up_model, "decoder_stage4b_relu", 1);

    /* the matched indices are in layer order */
    unetseg_matcher *mt = NULL;
    int32_t idx[2] = {0, 0}, n = 0;
    assert_ok(unetseg_matcher_parse("re:'^(data|sigmoid)$'", &mt));
    assert_ok(unetseg_model_match(up_model, mt, idx, 2, &n));
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 198);
    unetseg_matcher_free(mt);

    /* setters: exclude is NOT(substring); an empty matcher matches all */
    assert_ok(unetseg_matcher_create(&mt));
    assert_int_equal(count_matcher(up_model, mt), 199);
    assert_ok(unetseg_matcher_require(mt, "conv"));
    assert_ok(unetseg_matcher_exclude(mt, "stage"));
    assert_int_equal(count_matcher(up_model, mt), 2); /* conv0, final_conv */
    unetseg_matcher_free(mt);
}

/* One malformed expression: SYNTAX, *out NULL, "column N:" and a phrase. */
static void expect_syntax(const char *expr, int column, const char *phrase) {
    unetseg_matcher *mt = (unetseg_matcher *)0x1;
    int32_t st = unetseg_matcher_parse(expr, &mt);
    if (st != UNETSEG_E_SYNTAX) print_error("expression \"%s\"\n", expr);
    assert_status(st, UNETSEG_E_SYNTAX);
    assert_null(mt);
    if (column > 0) {
        char needle[32];
        snprintf(needle, sizeof needle, "column %d:", column);
        if (!strstr(unetseg_last_error(), needle)) print_error("expression \"%s\"\n", expr);
        assert_error_mentions(needle);
    }
    assert_error_mentions(phrase);
}

static void grammar_errors_point_at_the_column(void **state) {
    (void)state;
    expect_syntax("conv &", 7, "expected a word, '(' or '!' after '&'");
    expect_syntax("& conv", 1, "expected a word, '(' or '!'");
    expect_syntax("(conv", 6, "missing ')' for the '(' at column 1");
    expect_syntax("conv)", 5, "unbalanced ')'");
    expect_syntax("conv & (stage | bn))", 20, "unbalanced ')'");
    expect_syntax("'conv", 1, "unterminated quote");
    expect_syntax("conv & 'abc", 8, "unterminated quote");
    expect_syntax("kind=conv3d", 6, "unknown kind 'conv3d'");
    assert_error_mentions("conv2dtranspose, batchnormalization");
    assert_error_mentions("inputlayer");
    expect_syntax("region=middle", 8, "unknown region 'middle'");
    assert_error_mentions("encoder, decoder, head");
    expect_syntax("re:'('", 4, "bad regex '('");
    expect_syntax("conv & re:'a('", 11, "bad regex 'a('");
    /* ( | & ! end a bare word: a regex using them must be quoted */
    expect_syntax("re:^(data)$", 5, "expected '&', '|' or the end, found '('");
    expect_syntax("", 1, "empty expression");
    expect_syntax("   ", 4, "empty expression");
    expect_syntax("glob:", 6, "expected a pattern after 'glob:'");
    expect_syntax("re: conv", 4, "expected a pattern after 're:'");
    expect_syntax("kind=", 6, "expected a name after 'kind='");
    expect_syntax("region=&", 8, "expected a name after 'region='");
    expect_syntax("conv conv", 6, "expected '&', '|' or the end, found 'c'");
    expect_syntax("a | | b", 5, "after '|', found '|'");
    expect_syntax("!", 2, "after '!'");
    expect_syntax("()", 2, "after '(', found ')'");
    expect_syntax("(a b)", 4, "expected '&', '|' or ')', found 'b'");
    expect_syntax("''", 1, "empty quoted word");
    expect_syntax("conv & glob:''", 13, "expected a pattern");

    /* nesting: 64 levels parse, 65 do not */
    char deep[200];
    memset(deep, '(', 64);
    strcpy(deep + 64, "conv");
    memset(deep + 68, ')', 64);
    deep[132] = '\0';
    assert_count(up_model, deep, 44);
    memset(deep, '!', 65);
    strcpy(deep + 65, "conv");
    expect_syntax(deep, 65, "nesting too deep");
    memset(deep, '!', 64);
    strcpy(deep + 64, "conv");
    assert_count(up_model, deep, 44); /* 64 NOTs: even */
}

/* ------------------------------------------------------------ arguments */
static int32_t never(const char *name, int32_t kind, void *user) {
    (void)name, (void)kind, (void)user;
    return 0;
}

static void bad_arguments(void **state) {
    (void)state;
    unetseg_matcher *mt = NULL;
    int32_t idx[4], n = -1;
    assert_status(unetseg_matcher_create(NULL), UNETSEG_E_INVALID_ARG);
    unetseg_matcher_free(NULL);
    assert_ok(unetseg_matcher_create(&mt));

    assert_status(unetseg_matcher_require(NULL, "x"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_require(mt, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_require(mt, ""), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("empty");
    assert_status(unetseg_matcher_exclude(NULL, "x"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_exclude(mt, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_exclude(mt, ""), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_glob(NULL, "*"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_glob(mt, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_glob(mt, ""), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_regex(NULL, "x"), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_regex(mt, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_regex(mt, ""), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_regex(mt, "(unclosed"), UNETSEG_E_SYNTAX);
    assert_status(unetseg_matcher_kind(NULL, UNETSEG_LAYER_CONV2D), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_kind(mt, -1), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_kind(mt, 13), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("13");
    assert_status(unetseg_matcher_region(NULL, UNETSEG_REGION_ENCODER), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_region(mt, UNETSEG_REGION_NONE), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_region(mt, 4), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_callback(NULL, never, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_matcher_callback(mt, NULL, NULL), UNETSEG_E_INVALID_ARG);
    /* none of the failures added a condition */
    assert_int_equal(count_matcher(up_model, mt), 199);

    unetseg_matcher *parsed = (unetseg_matcher *)0x1;
    assert_status(unetseg_matcher_parse(NULL, &parsed), UNETSEG_E_INVALID_ARG);
    assert_null(parsed);
    assert_status(unetseg_matcher_parse("conv", NULL), UNETSEG_E_INVALID_ARG);

    assert_status(unetseg_model_match(NULL, mt, idx, 4, &n), UNETSEG_E_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_status(unetseg_model_match(up_model, NULL, idx, 4, &n), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_match(up_model, mt, idx, 4, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_match(up_model, mt, idx, -1, &n), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_match(up_model, mt, NULL, 4, &n), UNETSEG_E_INVALID_ARG);
    assert_int_equal(n, 0);
    unetseg_matcher_free(mt);

    /* a model without layers */
    unetseg_model *empty = NULL;
    assert_ok(unetseg_model_create(&empty));
    assert_ok(unetseg_matcher_create(&mt));
    assert_status(unetseg_model_match(empty, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layers");
    unetseg_matcher_free(mt);
    unetseg_model_free(empty);
}

static void capacity_smaller_than_count(void **state) {
    (void)state;
    unetseg_matcher *mt = NULL;
    int32_t idx[5] = {-7, -7, -7, -7, -7}, n = 0;
    assert_ok(unetseg_matcher_parse("conv & stage & region=encoder", &mt));
    assert_ok(unetseg_model_match(up_model, mt, idx, 3, &n));
    assert_int_equal(n, 32); /* the total, not the written count */
    assert_string_equal(up_model->layers[idx[0]].name, "stage1_unit1_conv1");
    assert_string_equal(up_model->layers[idx[1]].name, "stage1_unit1_conv2");
    assert_string_equal(up_model->layers[idx[2]].name, "stage1_unit2_conv1");
    assert_int_equal(idx[3], -7);
    assert_int_equal(idx[4], -7);
    unetseg_matcher_free(mt);
}

/* ----------------------------------------------------- inserted layers */
static int32_t layer_named(const unetseg_model *m, const char *name) {
    for (int32_t i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    fail_msg("no layer %s", name);
    return -1;
}

static int32_t count_all(const char *name, int32_t kind, void *user) {
    (void)name, (void)kind;
    (*(int32_t *)user)++;
    return 1;
}

static void inserted_layers_are_never_matched(void **state) {
    (void)state;
    int32_t sc1 = layer_named(up_model, "stage1_unit1_sc");
    int32_t head = layer_named(up_model, "sigmoid");
    up_model->layers[sc1].inserted = 1;
    up_model->layers[head].inserted = 1;

    assert_count(up_model, "sc", 3);
    assert_count(up_model, "stage1_unit1_sc", 0);
    assert_count(up_model, "region=head", 1);
    unetseg_matcher *mt = NULL;
    int32_t calls = 0, n = 0;
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_callback(mt, count_all, &calls));
    assert_ok(unetseg_model_match(up_model, mt, NULL, 0, &n));
    assert_int_equal(n, 197);
    assert_int_equal(calls, 197); /* not even evaluated */
    unetseg_matcher_free(mt);
    /* the explanation looks only at layers that can be matched */
    assert_ok(unetseg_matcher_parse("sigmoid", &mt));
    assert_status(unetseg_model_match(up_model, mt, NULL, 0, &n), UNETSEG_E_NO_MATCH);
    assert_error_mentions("no layer name contains 'sigmoid'");
    unetseg_matcher_free(mt);

    up_model->layers[sc1].inserted = 0;
    up_model->layers[head].inserted = 0;
    assert_count(up_model, "sc", 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_table_through_the_grammar),
        cmocka_unit_test(spec_table_through_the_setters),
        cmocka_unit_test(zero_matches_explain_and_suggest_names),
        cmocka_unit_test(globs_and_regexes),
        cmocka_unit_test(kinds_and_regions),
        cmocka_unit_test(callback_selects_with_user_pointer),
        cmocka_unit_test(grammar_precedence_not_parentheses_quotes),
        cmocka_unit_test(grammar_errors_point_at_the_column),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(capacity_smaller_than_count),
        cmocka_unit_test(inserted_layers_are_never_matched),
    };
    return cmocka_run_group_tests(tests, setup_models, free_models);
}
