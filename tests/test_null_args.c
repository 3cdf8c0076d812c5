/* GENERATED FILE - do not edit. Written by tests/gen/gen_null_tests.py from
 * include/unetseg.h; regenerate after changing the header with
 *     python3 tests/gen/gen_null_tests.py
 * (tests/python/test_null_tests_in_sync.py fails `make check` when it is stale).
 *
 * Issue 8, item 3: every public function called with NULL for every pointer
 * argument, the others valid, and once with every pointer NULL; a baseline call
 * with valid arguments must succeed first. NULL must give a negative status and
 * a fresh unetseg_last_error() message, or UNETSEG_OK where the header documents
 * that the pointer may be NULL (MAY_BE_NULL in the generator).
 * 136 functions, 258 pointer parameters, 467 calls. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/test_support.h"

/* Elements of the fixture tensor (1, 8, 8, 3). */
#define NULL_ARGS_NUMEL 192

static char tmp_dir[512];
static char weights_path[600];    /* unetseg_model_save_weights of the small model */
static char checkpoint_path[600]; /* unetseg_trainer_save_checkpoint of its trainer */
static char save_path[600];       /* writable, for the save functions */
static int null_args_user;        /* `user` of unetseg_matcher_callback */

typedef struct fixture {
    unetseg_model *model;       /* data(8,8,3) -> conv(3x3, 1 filter) -> sigmoid */
    unetseg_model *empty_model; /* no layers (for add_input) */
    unetseg_model *train_model; /* the same layers, trained by `trainer` */
    unetseg_model *encoder;     /* built on first use: unetseg_encoder_create */
    unetseg_tensor *tensor;     /* (1, 8, 8, 3) */
    unetseg_tensor *masks;      /* (1, 8, 8, 1), values in [0, 1] */
    unetseg_tensor *param_value; /* a copy of conv/kernel */
    unetseg_unet_options *unet_options; /* resnet18, 32x32x3, small decoder */
    unetseg_matcher *matcher;   /* unetseg_matcher_parse("conv") */
    unetseg_insert_options *insert_options; /* suffix "_d" */
    unetseg_train_options *train_options;
    unetseg_trainer *trainer;   /* on train_model */
    unetseg_tile_options *tile_options; /* the defaults */
} fixture;

static int32_t null_args_match_fn(const char *name, int32_t kind, void *user) {
    (void)name;
    (void)kind;
    (void)user;
    return 1;
}

static void null_args_destroy_fn(void *user) { (void)user; }
static int32_t null_args_gradient_hook(float *g, int64_t n, void *user) {
    (void)g, (void)n, (void)user;
    return 0;
}
static int32_t null_args_batchnorm_sync_hook(double *s, int64_t n, void *user) {
    (void)s, (void)n, (void)user;
    return 0;
}

static int32_t build_small_model(unetseg_model **out) {
    unetseg_model *m = NULL;
    int32_t st = unetseg_model_create(&m);
    if (st == UNETSEG_OK) st = unetseg_model_add_input(m, "data", 8, 8, 3);
    if (st == UNETSEG_OK)
        st = unetseg_model_add_conv2d(m, "conv", "data", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
    if (st == UNETSEG_OK) st = unetseg_model_add_activation(m, "sigmoid", "conv", UNETSEG_ACT_SIGMOID);
    if (st == UNETSEG_OK) st = unetseg_model_set_threads(m, 1);
    if (st != UNETSEG_OK) {
        unetseg_model_free(m);
        m = NULL;
    }
    *out = m;
    return st;
}

static int32_t make_filled(int64_t c, float value, unetseg_tensor **out) {
    const int64_t shape[4] = {1, 8, 8, c};
    float data[NULL_ARGS_NUMEL];
    for (int i = 0; i < NULL_ARGS_NUMEL; i++) data[i] = value;
    int32_t st = unetseg_tensor_create(4, shape, out);
    if (st == UNETSEG_OK) st = unetseg_tensor_copy_from(*out, data, 64 * c);
    return st;
}

static void fixture_free(fixture *fx) {
    if (!fx) return;
    unetseg_trainer_free(fx->trainer); /* before the model it trains */
    unetseg_model_free(fx->train_model);
    unetseg_model_free(fx->model);
    unetseg_model_free(fx->empty_model);
    unetseg_model_free(fx->encoder);
    unetseg_tensor_free(fx->tensor);
    unetseg_tensor_free(fx->masks);
    unetseg_tensor_free(fx->param_value);
    unetseg_unet_options_free(fx->unet_options);
    unetseg_matcher_free(fx->matcher);
    unetseg_insert_options_free(fx->insert_options);
    unetseg_train_options_free(fx->train_options);
    unetseg_tile_options_free(fx->tile_options);
    free(fx);
}

static fixture *fixture_new(void) {
    static const int64_t decoder_filters[5] = {16, 8, 8, 8, 4};
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx) return NULL;
    int32_t st = build_small_model(&fx->model);
    if (st == UNETSEG_OK) st = build_small_model(&fx->train_model);
    if (st == UNETSEG_OK) st = unetseg_model_create(&fx->empty_model);
    if (st == UNETSEG_OK) st = make_filled(3, 0.5f, &fx->tensor);
    if (st == UNETSEG_OK) st = make_filled(1, 1.0f, &fx->masks);
    if (st == UNETSEG_OK) st = unetseg_model_param_get(fx->model, "conv/kernel", &fx->param_value);
    if (st == UNETSEG_OK) st = unetseg_unet_options_create(&fx->unet_options);
    if (st == UNETSEG_OK) st = unetseg_unet_options_set_backbone(fx->unet_options, "resnet18");
    if (st == UNETSEG_OK) st = unetseg_unet_options_set_input_shape(fx->unet_options, 32, 32, 3);
    if (st == UNETSEG_OK)
        st = unetseg_unet_options_set_decoder_filters(fx->unet_options, decoder_filters, 5);
    if (st == UNETSEG_OK) st = unetseg_matcher_parse("conv", &fx->matcher);
    if (st == UNETSEG_OK) st = unetseg_insert_options_create(&fx->insert_options);
    if (st == UNETSEG_OK) st = unetseg_insert_options_set_suffix(fx->insert_options, "_d");
    if (st == UNETSEG_OK) st = unetseg_train_options_create(&fx->train_options);
    if (st == UNETSEG_OK) st = unetseg_trainer_create(fx->train_model, fx->train_options, &fx->trainer);
    if (st == UNETSEG_OK) st = unetseg_tile_options_create(&fx->tile_options);
    if (st != UNETSEG_OK) {
        print_error("fixture: status %d: %s\n", st, unetseg_last_error());
        fixture_free(fx);
        return NULL;
    }
    return fx;
}

/* The backbone alone, for unetseg_decoder_append; built on first use. */
static unetseg_model *fx_encoder(fixture *fx) {
    if (!fx->encoder && unetseg_encoder_create(fx->unet_options, &fx->encoder) != UNETSEG_OK)
        print_error("fixture: unetseg_encoder_create: %s\n", unetseg_last_error());
    return fx->encoder;
}

static int fixture_setup(void **state) {
    *state = fixture_new();
    return *state ? 0 : -1;
}

static int fixture_teardown(void **state) {
    fixture_free(*state);
    return 0;
}

static void remove_tmp_dir(void) {
    DIR *d = opendir(tmp_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[1100];
            snprintf(p, sizeof p, "%s/%s", tmp_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmp_dir);
}

/* Provoke an error whose message holds a sentinel, so that a stale message
 * cannot pass for the message of the call under test. */
#define SENTINEL "null-args-sentinel"
static void prime_last_error(void) {
    unetseg_tensor *t = NULL;
    (void)unetseg_tensor_load("/nonexistent-" SENTINEL "/x.safetensors", "x", &t);
    unetseg_tensor_free(t);
}

static int group_setup(void **state) {
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/unetseg-null-args-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        print_error("mkdtemp %s failed\n", tmp_dir);
        return -1;
    }
    snprintf(weights_path, sizeof weights_path, "%s/weights.safetensors", tmp_dir);
    snprintf(checkpoint_path, sizeof checkpoint_path, "%s/checkpoint.safetensors", tmp_dir);
    snprintf(save_path, sizeof save_path, "%s/saved.safetensors", tmp_dir);
    prime_last_error();
    if (strstr(unetseg_last_error(), SENTINEL) == NULL) {
        print_error("the sentinel error does not mention " SENTINEL ": \"%s\"\n", unetseg_last_error());
        return -1;
    }
    fixture *fx = fixture_new();
    int32_t st = fx ? unetseg_model_save_weights(fx->model, weights_path) : UNETSEG_E_NOMEM;
    if (st == UNETSEG_OK) st = unetseg_trainer_save_checkpoint(fx->trainer, checkpoint_path);
    if (st != UNETSEG_OK) print_error("writing the fixture files: %s\n", unetseg_last_error());
    fixture_free(fx);
    return st == UNETSEG_OK ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    remove_tmp_dir();
    return 0;
}

/* Checks of one call; failures are counted (and printed) so that every call
 * of a test runs and frees its handles before the test fails. */
static void check_status(int *bad, const char *call, int32_t st, int must_succeed) {
    const char *msg = unetseg_last_error();
    if (must_succeed) {
        if (st != UNETSEG_OK) {
            print_error("%s: status %d (%s), expected UNETSEG_OK (documented as allowed); "
                        "last error: %s\n", call, st, unetseg_status_string(st), msg);
            (*bad)++;
        }
        return;
    }
    if (st >= 0) {
        print_error("%s: status %d, expected a negative status\n", call, st);
        (*bad)++;
    } else if (msg == NULL || msg[0] == '\0') {
        print_error("%s: status %d (%s) but unetseg_last_error() is empty\n", call, st,
                    unetseg_status_string(st));
        (*bad)++;
    } else if (strstr(msg, SENTINEL) != NULL) {
        print_error("%s: status %d (%s) but unetseg_last_error() is stale: %s\n", call, st,
                    unetseg_status_string(st), msg);
        (*bad)++;
    }
}

/* An output handle must stay NULL when the call failed. */
static void check_out(int *bad, const char *call, int32_t st, const void *out, const char *what) {
    if (st != UNETSEG_OK && out != NULL) {
        print_error("%s: failed with status %d but set %s\n", call, st, what);
        (*bad)++;
    }
}

/* A pointer-returning function given a NULL argument. */
static void check_null_result(int *bad, const char *call, const void *result) {
    if (result != NULL) {
        print_error("%s: returned a non-NULL pointer\n", call);
        (*bad)++;
    }
}

/* const char * unetseg_version_string(void) */
static void test_version_string(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_version_string();
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_version_number(void) */
static void test_version_number(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_version_number();
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_abi_version(void) */
static void test_abi_version(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_abi_version();
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_runtime_info(void) */
static void test_runtime_info(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_runtime_info();
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_status_string(int32_t status) */
static void test_status_string(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_status_string(UNETSEG_E_INVALID_ARG);
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_last_error(void) */
static void test_last_error(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_last_error();
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_create(int32_t rank, const int64_t *shape, unetseg_tensor **out) */
static void test_tensor_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const int64_t v_shape[4] = {1, 8, 8, 3};
            unetseg_tensor *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_tensor_create(4, v_shape, &v_out);
            check_status(&bad, "unetseg_tensor_create(all valid)", st, 1);
            check_out(&bad, "unetseg_tensor_create(all valid)", st, v_out, "out");
            unetseg_tensor_free(v_out);
        }
        fixture_free(bx);
    }
    /* shape = NULL: must fail */
    {
        unetseg_tensor *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_tensor_create(4, NULL, &v_out);
        check_status(&bad, "unetseg_tensor_create(shape=NULL)", st, 0);
        check_out(&bad, "unetseg_tensor_create(shape=NULL)", st, v_out, "out");
        unetseg_tensor_free(v_out);
    }
    /* out = NULL: must fail */
    {
        const int64_t v_shape[4] = {1, 8, 8, 3};
        prime_last_error();
        int32_t st = unetseg_tensor_create(4, v_shape, NULL);
        check_status(&bad, "unetseg_tensor_create(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_create(4, NULL, NULL);
        check_status(&bad, "unetseg_tensor_create(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_tensor_free(unetseg_tensor *tensor) */
static void test_tensor_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* tensor = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_tensor_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_rank(const unetseg_tensor *tensor, int32_t *rank) */
static void test_tensor_rank(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_rank = 0;
            prime_last_error();
            int32_t st = unetseg_tensor_rank(bx->tensor, &v_rank);
            check_status(&bad, "unetseg_tensor_rank(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must fail */
    {
        int32_t v_rank = 0;
        prime_last_error();
        int32_t st = unetseg_tensor_rank(NULL, &v_rank);
        check_status(&bad, "unetseg_tensor_rank(tensor=NULL)", st, 0);
    }
    /* rank = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_rank(fx->tensor, NULL);
        check_status(&bad, "unetseg_tensor_rank(rank=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_rank(NULL, NULL);
        check_status(&bad, "unetseg_tensor_rank(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_shape(const unetseg_tensor *tensor, int64_t *shape, int32_t capacity) */
static void test_tensor_shape(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_shape[8] = {0};
            prime_last_error();
            int32_t st = unetseg_tensor_shape(bx->tensor, v_shape, 8);
            check_status(&bad, "unetseg_tensor_shape(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must fail */
    {
        int64_t v_shape[8] = {0};
        prime_last_error();
        int32_t st = unetseg_tensor_shape(NULL, v_shape, 8);
        check_status(&bad, "unetseg_tensor_shape(tensor=NULL)", st, 0);
    }
    /* shape = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_shape(fx->tensor, NULL, 8);
        check_status(&bad, "unetseg_tensor_shape(shape=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_shape(NULL, NULL, 8);
        check_status(&bad, "unetseg_tensor_shape(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_numel(const unetseg_tensor *tensor, int64_t *count) */
static void test_tensor_numel(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_tensor_numel(bx->tensor, &v_count);
            check_status(&bad, "unetseg_tensor_numel(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must fail */
    {
        int64_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_tensor_numel(NULL, &v_count);
        check_status(&bad, "unetseg_tensor_numel(tensor=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_numel(fx->tensor, NULL);
        check_status(&bad, "unetseg_tensor_numel(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_numel(NULL, NULL);
        check_status(&bad, "unetseg_tensor_numel(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* float * unetseg_tensor_data(unetseg_tensor *tensor) */
static void test_tensor_data(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const void *r = unetseg_tensor_data(bx->tensor);
            if (r == NULL) {
                print_error("%s: returned NULL\n", "unetseg_tensor_data(all valid)");
                bad++;
            }
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must return NULL */
    {
        const void *r = unetseg_tensor_data(NULL);
        check_null_result(&bad, "unetseg_tensor_data(tensor=NULL)", r);  /* header: 'NULL on a NULL tensor' */
    }
    assert_int_equal(bad, 0);
}

/* const float * unetseg_tensor_data_const(const unetseg_tensor *tensor) */
static void test_tensor_data_const(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const void *r = unetseg_tensor_data_const(bx->tensor);
            if (r == NULL) {
                print_error("%s: returned NULL\n", "unetseg_tensor_data_const(all valid)");
                bad++;
            }
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must not crash */
    {
        const void *r = unetseg_tensor_data_const(NULL);
        (void)r;
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_copy_from(unetseg_tensor *tensor, const float *src, int64_t count) */
static void test_tensor_copy_from(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            float v_src[NULL_ARGS_NUMEL] = {0};
            prime_last_error();
            int32_t st = unetseg_tensor_copy_from(bx->tensor, v_src, NULL_ARGS_NUMEL);
            check_status(&bad, "unetseg_tensor_copy_from(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must fail */
    {
        float v_src[NULL_ARGS_NUMEL] = {0};
        prime_last_error();
        int32_t st = unetseg_tensor_copy_from(NULL, v_src, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_from(tensor=NULL)", st, 0);
    }
    /* src = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_copy_from(fx->tensor, NULL, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_from(src=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_copy_from(NULL, NULL, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_from(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_copy_to(const unetseg_tensor *tensor, float *dst, int64_t count) */
static void test_tensor_copy_to(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            float v_dst[NULL_ARGS_NUMEL] = {0};
            prime_last_error();
            int32_t st = unetseg_tensor_copy_to(bx->tensor, v_dst, NULL_ARGS_NUMEL);
            check_status(&bad, "unetseg_tensor_copy_to(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* tensor = NULL: must fail */
    {
        float v_dst[NULL_ARGS_NUMEL] = {0};
        prime_last_error();
        int32_t st = unetseg_tensor_copy_to(NULL, v_dst, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_to(tensor=NULL)", st, 0);
    }
    /* dst = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_copy_to(fx->tensor, NULL, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_to(dst=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_copy_to(NULL, NULL, NULL_ARGS_NUMEL);
        check_status(&bad, "unetseg_tensor_copy_to(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensor_load(const char *path, const char *name, unetseg_tensor **out) */
static void test_tensor_load(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_tensor_load(weights_path, "conv/kernel", &v_out);
            check_status(&bad, "unetseg_tensor_load(all valid)", st, 1);
            check_out(&bad, "unetseg_tensor_load(all valid)", st, v_out, "out");
            unetseg_tensor_free(v_out);
        }
        fixture_free(bx);
    }
    /* path = NULL: must fail */
    {
        unetseg_tensor *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_tensor_load(NULL, "conv/kernel", &v_out);
        check_status(&bad, "unetseg_tensor_load(path=NULL)", st, 0);
        check_out(&bad, "unetseg_tensor_load(path=NULL)", st, v_out, "out");
        unetseg_tensor_free(v_out);
    }
    /* name = NULL: must fail */
    {
        unetseg_tensor *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_tensor_load(weights_path, NULL, &v_out);
        check_status(&bad, "unetseg_tensor_load(name=NULL)", st, 0);
        check_out(&bad, "unetseg_tensor_load(name=NULL)", st, v_out, "out");
        unetseg_tensor_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_load(weights_path, "conv/kernel", NULL);
        check_status(&bad, "unetseg_tensor_load(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensor_load(NULL, NULL, NULL);
        check_status(&bad, "unetseg_tensor_load(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tensors_save(const char *path, const char *const *names, const unetseg_tensor *const *tensors, int32_t n) */
static void test_tensors_save(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_names[] = {"a"};
            const unetseg_tensor *v_tensors[1] = {bx->tensor};
            prime_last_error();
            int32_t st = unetseg_tensors_save(save_path, v_names, v_tensors, 1);
            check_status(&bad, "unetseg_tensors_save(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* path = NULL: must fail */
    {
        const char *v_names[] = {"a"};
        const unetseg_tensor *v_tensors[1] = {fx->tensor};
        prime_last_error();
        int32_t st = unetseg_tensors_save(NULL, v_names, v_tensors, 1);
        check_status(&bad, "unetseg_tensors_save(path=NULL)", st, 0);
    }
    /* names = NULL: must fail */
    {
        const unetseg_tensor *v_tensors[1] = {fx->tensor};
        prime_last_error();
        int32_t st = unetseg_tensors_save(save_path, NULL, v_tensors, 1);
        check_status(&bad, "unetseg_tensors_save(names=NULL)", st, 0);
    }
    /* tensors = NULL: must fail */
    {
        const char *v_names[] = {"a"};
        prime_last_error();
        int32_t st = unetseg_tensors_save(save_path, v_names, NULL, 1);
        check_status(&bad, "unetseg_tensors_save(tensors=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tensors_save(NULL, NULL, NULL, 1);
        check_status(&bad, "unetseg_tensors_save(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_layer_kind_name(int32_t kind) */
static void test_layer_kind_name(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_layer_kind_name(UNETSEG_LAYER_CONV2D);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_create(unetseg_model **out) */
static void test_model_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_model *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_model_create(&v_out);
            check_status(&bad, "unetseg_model_create(all valid)", st, 1);
            check_out(&bad, "unetseg_model_create(all valid)", st, v_out, "out");
            unetseg_model_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_create(NULL);
        check_status(&bad, "unetseg_model_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_model_free(unetseg_model *model) */
static void test_model_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* model = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_model_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_model_last_error(const unetseg_model *model) */
static void test_model_last_error(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const void *r = unetseg_model_last_error(bx->model);
            if (r == NULL) {
                print_error("%s: returned NULL\n", "unetseg_model_last_error(all valid)");
                bad++;
            }
        }
        fixture_free(bx);
    }
    /* model = NULL: must not crash */
    {
        const void *r = unetseg_model_last_error(NULL);
        if (r != NULL) (void)strlen((const char *)r); /* NULL or a string */
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_input(unetseg_model *model, const char *name, int64_t height, int64_t width, int64_t channels) */
static void test_model_add_input(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_input(bx->empty_model, "data", 8, 8, 3);
            check_status(&bad, "unetseg_model_add_input(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_input(NULL, "data", 8, 8, 3);
        check_status(&bad, "unetseg_model_add_input(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_input(fx->empty_model, NULL, 8, 8, 3);
        check_status(&bad, "unetseg_model_add_input(name=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_input(NULL, NULL, 8, 8, 3);
        check_status(&bad, "unetseg_model_add_input(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_conv2d(unetseg_model *model, const char *name, const char *inbound, int64_t filters, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int32_t padding, int32_t use_bias) */
static void test_model_add_conv2d(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_conv2d(bx->model, "new_layer", "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
            check_status(&bad, "unetseg_model_add_conv2d(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d(NULL, "new_layer", "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d(fx->model, NULL, "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d(fx->model, "new_layer", NULL, 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d(NULL, NULL, NULL, 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_conv2d_transpose(unetseg_model *model, const char *name, const char *inbound, int64_t filters, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int32_t padding, int32_t use_bias) */
static void test_model_add_conv2d_transpose(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_conv2d_transpose(bx->model, "new_layer", "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
            check_status(&bad, "unetseg_model_add_conv2d_transpose(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d_transpose(NULL, "new_layer", "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d_transpose(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d_transpose(fx->model, NULL, "conv", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d_transpose(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d_transpose(fx->model, "new_layer", NULL, 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d_transpose(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conv2d_transpose(NULL, NULL, NULL, 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
        check_status(&bad, "unetseg_model_add_conv2d_transpose(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_batchnorm(unetseg_model *model, const char *name, const char *inbound, double epsilon, double momentum, int32_t center, int32_t scale) */
static void test_model_add_batchnorm(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_batchnorm(bx->model, "new_layer", "conv", 1e-3, 0.99, 1, 1);
            check_status(&bad, "unetseg_model_add_batchnorm(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_batchnorm(NULL, "new_layer", "conv", 1e-3, 0.99, 1, 1);
        check_status(&bad, "unetseg_model_add_batchnorm(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_batchnorm(fx->model, NULL, "conv", 1e-3, 0.99, 1, 1);
        check_status(&bad, "unetseg_model_add_batchnorm(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_batchnorm(fx->model, "new_layer", NULL, 1e-3, 0.99, 1, 1);
        check_status(&bad, "unetseg_model_add_batchnorm(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_batchnorm(NULL, NULL, NULL, 1e-3, 0.99, 1, 1);
        check_status(&bad, "unetseg_model_add_batchnorm(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_activation(unetseg_model *model, const char *name, const char *inbound, int32_t activation) */
static void test_model_add_activation(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_activation(bx->model, "new_layer", "conv", UNETSEG_ACT_RELU);
            check_status(&bad, "unetseg_model_add_activation(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_activation(NULL, "new_layer", "conv", UNETSEG_ACT_RELU);
        check_status(&bad, "unetseg_model_add_activation(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_activation(fx->model, NULL, "conv", UNETSEG_ACT_RELU);
        check_status(&bad, "unetseg_model_add_activation(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_activation(fx->model, "new_layer", NULL, UNETSEG_ACT_RELU);
        check_status(&bad, "unetseg_model_add_activation(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_activation(NULL, NULL, NULL, UNETSEG_ACT_RELU);
        check_status(&bad, "unetseg_model_add_activation(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_zero_padding2d(unetseg_model *model, const char *name, const char *inbound, int64_t top, int64_t bottom, int64_t left, int64_t right) */
static void test_model_add_zero_padding2d(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_zero_padding2d(bx->model, "new_layer", "conv", 1, 1, 1, 1);
            check_status(&bad, "unetseg_model_add_zero_padding2d(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_zero_padding2d(NULL, "new_layer", "conv", 1, 1, 1, 1);
        check_status(&bad, "unetseg_model_add_zero_padding2d(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_zero_padding2d(fx->model, NULL, "conv", 1, 1, 1, 1);
        check_status(&bad, "unetseg_model_add_zero_padding2d(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_zero_padding2d(fx->model, "new_layer", NULL, 1, 1, 1, 1);
        check_status(&bad, "unetseg_model_add_zero_padding2d(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_zero_padding2d(NULL, NULL, NULL, 1, 1, 1, 1);
        check_status(&bad, "unetseg_model_add_zero_padding2d(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_max_pooling2d(unetseg_model *model, const char *name, const char *inbound, int64_t pool_h, int64_t pool_w, int64_t stride_h, int64_t stride_w, int32_t padding) */
static void test_model_add_max_pooling2d(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_max_pooling2d(bx->model, "new_layer", "conv", 2, 2, 2, 2, UNETSEG_PADDING_SAME);
            check_status(&bad, "unetseg_model_add_max_pooling2d(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_max_pooling2d(NULL, "new_layer", "conv", 2, 2, 2, 2, UNETSEG_PADDING_SAME);
        check_status(&bad, "unetseg_model_add_max_pooling2d(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_max_pooling2d(fx->model, NULL, "conv", 2, 2, 2, 2, UNETSEG_PADDING_SAME);
        check_status(&bad, "unetseg_model_add_max_pooling2d(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_max_pooling2d(fx->model, "new_layer", NULL, 2, 2, 2, 2, UNETSEG_PADDING_SAME);
        check_status(&bad, "unetseg_model_add_max_pooling2d(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_max_pooling2d(NULL, NULL, NULL, 2, 2, 2, 2, UNETSEG_PADDING_SAME);
        check_status(&bad, "unetseg_model_add_max_pooling2d(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_upsampling2d(unetseg_model *model, const char *name, const char *inbound, int64_t size_h, int64_t size_w, int32_t interpolation) */
static void test_model_add_upsampling2d(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_upsampling2d(bx->model, "new_layer", "conv", 2, 2, UNETSEG_INTERP_NEAREST);
            check_status(&bad, "unetseg_model_add_upsampling2d(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_upsampling2d(NULL, "new_layer", "conv", 2, 2, UNETSEG_INTERP_NEAREST);
        check_status(&bad, "unetseg_model_add_upsampling2d(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_upsampling2d(fx->model, NULL, "conv", 2, 2, UNETSEG_INTERP_NEAREST);
        check_status(&bad, "unetseg_model_add_upsampling2d(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_upsampling2d(fx->model, "new_layer", NULL, 2, 2, UNETSEG_INTERP_NEAREST);
        check_status(&bad, "unetseg_model_add_upsampling2d(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_upsampling2d(NULL, NULL, NULL, 2, 2, UNETSEG_INTERP_NEAREST);
        check_status(&bad, "unetseg_model_add_upsampling2d(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_concatenate(unetseg_model *model, const char *name, const char *const *inbound, int32_t n) */
static void test_model_add_concatenate(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_inbound[] = {"conv", "sigmoid"};
            prime_last_error();
            int32_t st = unetseg_model_add_concatenate(bx->model, "new_layer", v_inbound, 2);
            check_status(&bad, "unetseg_model_add_concatenate(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_inbound[] = {"conv", "sigmoid"};
        prime_last_error();
        int32_t st = unetseg_model_add_concatenate(NULL, "new_layer", v_inbound, 2);
        check_status(&bad, "unetseg_model_add_concatenate(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        const char *v_inbound[] = {"conv", "sigmoid"};
        prime_last_error();
        int32_t st = unetseg_model_add_concatenate(fx->model, NULL, v_inbound, 2);
        check_status(&bad, "unetseg_model_add_concatenate(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_concatenate(fx->model, "new_layer", NULL, 2);
        check_status(&bad, "unetseg_model_add_concatenate(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_concatenate(NULL, NULL, NULL, 2);
        check_status(&bad, "unetseg_model_add_concatenate(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_add(unetseg_model *model, const char *name, const char *const *inbound, int32_t n) */
static void test_model_add_add(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_inbound[] = {"conv", "sigmoid"};
            prime_last_error();
            int32_t st = unetseg_model_add_add(bx->model, "new_layer", v_inbound, 2);
            check_status(&bad, "unetseg_model_add_add(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_inbound[] = {"conv", "sigmoid"};
        prime_last_error();
        int32_t st = unetseg_model_add_add(NULL, "new_layer", v_inbound, 2);
        check_status(&bad, "unetseg_model_add_add(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        const char *v_inbound[] = {"conv", "sigmoid"};
        prime_last_error();
        int32_t st = unetseg_model_add_add(fx->model, NULL, v_inbound, 2);
        check_status(&bad, "unetseg_model_add_add(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_add(fx->model, "new_layer", NULL, 2);
        check_status(&bad, "unetseg_model_add_add(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_add(NULL, NULL, NULL, 2);
        check_status(&bad, "unetseg_model_add_add(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_dropout(unetseg_model *model, const char *name, const char *inbound, double rate) */
static void test_model_add_dropout(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_dropout(bx->model, "new_layer", "conv", 0.1);
            check_status(&bad, "unetseg_model_add_dropout(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_dropout(NULL, "new_layer", "conv", 0.1);
        check_status(&bad, "unetseg_model_add_dropout(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_dropout(fx->model, NULL, "conv", 0.1);
        check_status(&bad, "unetseg_model_add_dropout(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_dropout(fx->model, "new_layer", NULL, 0.1);
        check_status(&bad, "unetseg_model_add_dropout(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_dropout(NULL, NULL, NULL, 0.1);
        check_status(&bad, "unetseg_model_add_dropout(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_spatial_dropout2d(unetseg_model *model, const char *name, const char *inbound, double rate) */
static void test_model_add_spatial_dropout2d(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_spatial_dropout2d(bx->model, "new_layer", "conv", 0.1);
            check_status(&bad, "unetseg_model_add_spatial_dropout2d(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_spatial_dropout2d(NULL, "new_layer", "conv", 0.1);
        check_status(&bad, "unetseg_model_add_spatial_dropout2d(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_spatial_dropout2d(fx->model, NULL, "conv", 0.1);
        check_status(&bad, "unetseg_model_add_spatial_dropout2d(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_spatial_dropout2d(fx->model, "new_layer", NULL, 0.1);
        check_status(&bad, "unetseg_model_add_spatial_dropout2d(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_spatial_dropout2d(NULL, NULL, NULL, 0.1);
        check_status(&bad, "unetseg_model_add_spatial_dropout2d(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_add_conditional_dropout(unetseg_model *model, const char *name, const char *inbound, double rate, int32_t mode, int32_t spatial) */
static void test_model_add_conditional_dropout(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_add_conditional_dropout(bx->model, "new_layer", "conv", 0.1, UNETSEG_DROPOUT_ALWAYS, 0);
            check_status(&bad, "unetseg_model_add_conditional_dropout(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conditional_dropout(NULL, "new_layer", "conv", 0.1, UNETSEG_DROPOUT_ALWAYS, 0);
        check_status(&bad, "unetseg_model_add_conditional_dropout(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conditional_dropout(fx->model, NULL, "conv", 0.1, UNETSEG_DROPOUT_ALWAYS, 0);
        check_status(&bad, "unetseg_model_add_conditional_dropout(name=NULL)", st, 0);
    }
    /* inbound = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conditional_dropout(fx->model, "new_layer", NULL, 0.1, UNETSEG_DROPOUT_ALWAYS, 0);
        check_status(&bad, "unetseg_model_add_conditional_dropout(inbound=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_add_conditional_dropout(NULL, NULL, NULL, 0.1, UNETSEG_DROPOUT_ALWAYS, 0);
        check_status(&bad, "unetseg_model_add_conditional_dropout(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_count(const unetseg_model *model, int32_t *count) */
static void test_model_layer_count(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_count(bx->model, &v_count);
            check_status(&bad, "unetseg_model_layer_count(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_count(NULL, &v_count);
        check_status(&bad, "unetseg_model_layer_count(model=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_count(fx->model, NULL);
        check_status(&bad, "unetseg_model_layer_count(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_count(NULL, NULL);
        check_status(&bad, "unetseg_model_layer_count(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_index(const unetseg_model *model, const char *name, int32_t *index) */
static void test_model_layer_index(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_index = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_index(bx->model, "conv", &v_index);
            check_status(&bad, "unetseg_model_layer_index(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_index = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_index(NULL, "conv", &v_index);
        check_status(&bad, "unetseg_model_layer_index(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        int32_t v_index = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_index(fx->model, NULL, &v_index);
        check_status(&bad, "unetseg_model_layer_index(name=NULL)", st, 0);
    }
    /* index = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_index(fx->model, "conv", NULL);
        check_status(&bad, "unetseg_model_layer_index(index=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_index(NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_layer_index(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_name(const unetseg_model *model, int32_t index, const char **name) */
static void test_model_layer_name(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_name = NULL;
            prime_last_error();
            int32_t st = unetseg_model_layer_name(bx->model, 1, &v_name);
            check_status(&bad, "unetseg_model_layer_name(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_name = NULL;
        prime_last_error();
        int32_t st = unetseg_model_layer_name(NULL, 1, &v_name);
        check_status(&bad, "unetseg_model_layer_name(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_name(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_name(name=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_name(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_name(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_kind(const unetseg_model *model, int32_t index, int32_t *kind) */
static void test_model_layer_kind(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_kind = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_kind(bx->model, 1, &v_kind);
            check_status(&bad, "unetseg_model_layer_kind(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_kind = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_kind(NULL, 1, &v_kind);
        check_status(&bad, "unetseg_model_layer_kind(model=NULL)", st, 0);
    }
    /* kind = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_kind(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_kind(kind=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_kind(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_kind(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_region(const unetseg_model *model, int32_t index, int32_t *region) */
static void test_model_layer_region(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_region = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_region(bx->model, 1, &v_region);
            check_status(&bad, "unetseg_model_layer_region(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_region = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_region(NULL, 1, &v_region);
        check_status(&bad, "unetseg_model_layer_region(model=NULL)", st, 0);
    }
    /* region = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_region(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_region(region=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_region(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_region(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_inbound_count(const unetseg_model *model, int32_t index, int32_t *count) */
static void test_model_layer_inbound_count(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_inbound_count(bx->model, 1, &v_count);
            check_status(&bad, "unetseg_model_layer_inbound_count(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound_count(NULL, 1, &v_count);
        check_status(&bad, "unetseg_model_layer_inbound_count(model=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound_count(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_inbound_count(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound_count(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_inbound_count(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_inbound(const unetseg_model *model, int32_t index, int32_t which, const char **name) */
static void test_model_layer_inbound(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_name = NULL;
            prime_last_error();
            int32_t st = unetseg_model_layer_inbound(bx->model, 1, 0, &v_name);
            check_status(&bad, "unetseg_model_layer_inbound(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_name = NULL;
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound(NULL, 1, 0, &v_name);
        check_status(&bad, "unetseg_model_layer_inbound(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound(fx->model, 1, 0, NULL);
        check_status(&bad, "unetseg_model_layer_inbound(name=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_inbound(NULL, 1, 0, NULL);
        check_status(&bad, "unetseg_model_layer_inbound(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_output_shape(const unetseg_model *model, int32_t index, int64_t shape[4]) */
static void test_model_layer_output_shape(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_shape[4] = {0};
            prime_last_error();
            int32_t st = unetseg_model_layer_output_shape(bx->model, 1, v_shape);
            check_status(&bad, "unetseg_model_layer_output_shape(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int64_t v_shape[4] = {0};
        prime_last_error();
        int32_t st = unetseg_model_layer_output_shape(NULL, 1, v_shape);
        check_status(&bad, "unetseg_model_layer_output_shape(model=NULL)", st, 0);
    }
    /* shape = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_output_shape(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_output_shape(shape=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_output_shape(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_output_shape(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_param_count(const unetseg_model *model, int32_t index, int64_t *count) */
static void test_model_layer_param_count(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_param_count(bx->model, 1, &v_count);
            check_status(&bad, "unetseg_model_layer_param_count(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int64_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_param_count(NULL, 1, &v_count);
        check_status(&bad, "unetseg_model_layer_param_count(model=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_param_count(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_param_count(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_param_count(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_param_count(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_trainable(const unetseg_model *model, int32_t index, int32_t *trainable) */
static void test_model_layer_trainable(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_trainable = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_trainable(bx->model, 1, &v_trainable);
            check_status(&bad, "unetseg_model_layer_trainable(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_trainable = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_trainable(NULL, 1, &v_trainable);
        check_status(&bad, "unetseg_model_layer_trainable(model=NULL)", st, 0);
    }
    /* trainable = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_trainable(fx->model, 1, NULL);
        check_status(&bad, "unetseg_model_layer_trainable(trainable=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_trainable(NULL, 1, NULL);
        check_status(&bad, "unetseg_model_layer_trainable(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_trainable(unetseg_model *model, const char *name, int32_t trainable) */
static void test_model_set_trainable(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_trainable(bx->model, "conv", 1);
            check_status(&bad, "unetseg_model_set_trainable(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_trainable(NULL, "conv", 1);
        check_status(&bad, "unetseg_model_set_trainable(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_trainable(fx->model, NULL, 1);
        check_status(&bad, "unetseg_model_set_trainable(name=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_trainable(NULL, NULL, 1);
        check_status(&bad, "unetseg_model_set_trainable(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_totals(const unetseg_model *model, int64_t *total, int64_t *trainable, int64_t *non_trainable) */
static void test_model_param_totals(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_total = 0;
            int64_t v_trainable = 0;
            int64_t v_non_trainable = 0;
            prime_last_error();
            int32_t st = unetseg_model_param_totals(bx->model, &v_total, &v_trainable, &v_non_trainable);
            check_status(&bad, "unetseg_model_param_totals(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int64_t v_total = 0;
        int64_t v_trainable = 0;
        int64_t v_non_trainable = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_totals(NULL, &v_total, &v_trainable, &v_non_trainable);
        check_status(&bad, "unetseg_model_param_totals(model=NULL)", st, 0);
    }
    /* total = NULL: allowed (header: 'Any output may be NULL.') */
    {
        int64_t v_trainable = 0;
        int64_t v_non_trainable = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_totals(fx->model, NULL, &v_trainable, &v_non_trainable);
        check_status(&bad, "unetseg_model_param_totals(total=NULL)", st, 1);
    }
    /* trainable = NULL: allowed (header: 'Any output may be NULL.') */
    {
        int64_t v_total = 0;
        int64_t v_non_trainable = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_totals(fx->model, &v_total, NULL, &v_non_trainable);
        check_status(&bad, "unetseg_model_param_totals(trainable=NULL)", st, 1);
    }
    /* non_trainable = NULL: allowed (header: 'Any output may be NULL.') */
    {
        int64_t v_total = 0;
        int64_t v_trainable = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_totals(fx->model, &v_total, &v_trainable, NULL);
        check_status(&bad, "unetseg_model_param_totals(non_trainable=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_totals(NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_param_totals(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_tensor_count(const unetseg_model *model, int32_t *count) */
static void test_model_param_tensor_count(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_model_param_tensor_count(bx->model, &v_count);
            check_status(&bad, "unetseg_model_param_tensor_count(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_count(NULL, &v_count);
        check_status(&bad, "unetseg_model_param_tensor_count(model=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_count(fx->model, NULL);
        check_status(&bad, "unetseg_model_param_tensor_count(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_count(NULL, NULL);
        check_status(&bad, "unetseg_model_param_tensor_count(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_tensor_name(const unetseg_model *model, int32_t index, const char **name) */
static void test_model_param_tensor_name(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_name = NULL;
            prime_last_error();
            int32_t st = unetseg_model_param_tensor_name(bx->model, 0, &v_name);
            check_status(&bad, "unetseg_model_param_tensor_name(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_name = NULL;
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_name(NULL, 0, &v_name);
        check_status(&bad, "unetseg_model_param_tensor_name(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_name(fx->model, 0, NULL);
        check_status(&bad, "unetseg_model_param_tensor_name(name=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_tensor_name(NULL, 0, NULL);
        check_status(&bad, "unetseg_model_param_tensor_name(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_get(const unetseg_model *model, const char *name, unetseg_tensor **out) */
static void test_model_param_get(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_model_param_get(bx->model, "conv/kernel", &v_out);
            check_status(&bad, "unetseg_model_param_get(all valid)", st, 1);
            check_out(&bad, "unetseg_model_param_get(all valid)", st, v_out, "out");
            unetseg_tensor_free(v_out);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_tensor *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_model_param_get(NULL, "conv/kernel", &v_out);
        check_status(&bad, "unetseg_model_param_get(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_param_get(model=NULL)", st, v_out, "out");
        unetseg_tensor_free(v_out);
    }
    /* name = NULL: must fail */
    {
        unetseg_tensor *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_model_param_get(fx->model, NULL, &v_out);
        check_status(&bad, "unetseg_model_param_get(name=NULL)", st, 0);
        check_out(&bad, "unetseg_model_param_get(name=NULL)", st, v_out, "out");
        unetseg_tensor_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_get(fx->model, "conv/kernel", NULL);
        check_status(&bad, "unetseg_model_param_get(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_get(NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_param_get(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_set(unetseg_model *model, const char *name, const unetseg_tensor *value) */
static void test_model_param_set(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_param_set(bx->model, "conv/kernel", bx->param_value);
            check_status(&bad, "unetseg_model_param_set(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_set(NULL, "conv/kernel", fx->param_value);
        check_status(&bad, "unetseg_model_param_set(model=NULL)", st, 0);
    }
    /* name = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_set(fx->model, NULL, fx->param_value);
        check_status(&bad, "unetseg_model_param_set(name=NULL)", st, 0);
    }
    /* value = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_set(fx->model, "conv/kernel", NULL);
        check_status(&bad, "unetseg_model_param_set(value=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_set(NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_param_set(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_summary(unetseg_model *model, const char **text) */
static void test_model_summary(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_text = NULL;
            prime_last_error();
            int32_t st = unetseg_model_summary(bx->model, &v_text);
            check_status(&bad, "unetseg_model_summary(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_text = NULL;
        prime_last_error();
        int32_t st = unetseg_model_summary(NULL, &v_text);
        check_status(&bad, "unetseg_model_summary(model=NULL)", st, 0);
    }
    /* text = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_summary(fx->model, NULL);
        check_status(&bad, "unetseg_model_summary(text=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_summary(NULL, NULL);
        check_status(&bad, "unetseg_model_summary(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_forward(unetseg_model *model, const unetseg_tensor *input, unetseg_tensor **output) */
static void test_model_forward(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_output = NULL;
            prime_last_error();
            int32_t st = unetseg_model_forward(bx->model, bx->tensor, &v_output);
            check_status(&bad, "unetseg_model_forward(all valid)", st, 1);
            check_out(&bad, "unetseg_model_forward(all valid)", st, v_output, "output");
            unetseg_tensor_free(v_output);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward(NULL, fx->tensor, &v_output);
        check_status(&bad, "unetseg_model_forward(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward(model=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* input = NULL: must fail */
    {
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward(fx->model, NULL, &v_output);
        check_status(&bad, "unetseg_model_forward(input=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward(input=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* output = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_forward(fx->model, fx->tensor, NULL);
        check_status(&bad, "unetseg_model_forward(output=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_forward(NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_forward(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_forward_with_activations(unetseg_model *model, const unetseg_tensor *input, const char *const *layer_names, int32_t n, unetseg_tensor **activations, unetseg_tensor **output) */
static void test_model_forward_with_activations(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_layer_names[] = {"conv"};
            unetseg_tensor *v_activations[1] = {NULL};
            unetseg_tensor *v_output = NULL;
            prime_last_error();
            int32_t st = unetseg_model_forward_with_activations(bx->model, bx->tensor, v_layer_names, 1, v_activations, &v_output);
            check_status(&bad, "unetseg_model_forward_with_activations(all valid)", st, 1);
            check_out(&bad, "unetseg_model_forward_with_activations(all valid)", st, v_activations[0], "activations[0]");
            check_out(&bad, "unetseg_model_forward_with_activations(all valid)", st, v_output, "output");
            unetseg_tensor_free(v_activations[0]);
            unetseg_tensor_free(v_output);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_layer_names[] = {"conv"};
        unetseg_tensor *v_activations[1] = {NULL};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(NULL, fx->tensor, v_layer_names, 1, v_activations, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward_with_activations(model=NULL)", st, v_activations[0], "activations[0]");
        check_out(&bad, "unetseg_model_forward_with_activations(model=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_activations[0]);
        unetseg_tensor_free(v_output);
    }
    /* input = NULL: must fail */
    {
        const char *v_layer_names[] = {"conv"};
        unetseg_tensor *v_activations[1] = {NULL};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, NULL, v_layer_names, 1, v_activations, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(input=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward_with_activations(input=NULL)", st, v_activations[0], "activations[0]");
        check_out(&bad, "unetseg_model_forward_with_activations(input=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_activations[0]);
        unetseg_tensor_free(v_output);
    }
    /* layer_names = NULL with n != 0: must fail */
    {
        unetseg_tensor *v_activations[1] = {NULL};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, fx->tensor, NULL, 1, v_activations, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(layer_names=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward_with_activations(layer_names=NULL)", st, v_activations[0], "activations[0]");
        check_out(&bad, "unetseg_model_forward_with_activations(layer_names=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_activations[0]);
        unetseg_tensor_free(v_output);
    }
    /* layer_names = NULL with n = 0: allowed (header: 'NULL arrays allowed when n == 0') */
    {
        unetseg_tensor *v_activations[1] = {NULL};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, fx->tensor, NULL, 0, v_activations, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(layer_names=NULL, n=0)", st, 1);
        check_out(&bad, "unetseg_model_forward_with_activations(layer_names=NULL, n=0)", st, v_activations[0], "activations[0]");
        check_out(&bad, "unetseg_model_forward_with_activations(layer_names=NULL, n=0)", st, v_output, "output");
        unetseg_tensor_free(v_activations[0]);
        unetseg_tensor_free(v_output);
    }
    /* activations = NULL with n != 0: must fail */
    {
        const char *v_layer_names[] = {"conv"};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, fx->tensor, v_layer_names, 1, NULL, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(activations=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward_with_activations(activations=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* activations = NULL with n = 0: allowed (header: 'NULL arrays allowed when n == 0') */
    {
        const char *v_layer_names[] = {"conv"};
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, fx->tensor, v_layer_names, 0, NULL, &v_output);
        check_status(&bad, "unetseg_model_forward_with_activations(activations=NULL, n=0)", st, 1);
        check_out(&bad, "unetseg_model_forward_with_activations(activations=NULL, n=0)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* output = NULL: must fail */
    {
        const char *v_layer_names[] = {"conv"};
        unetseg_tensor *v_activations[1] = {NULL};
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(fx->model, fx->tensor, v_layer_names, 1, v_activations, NULL);
        check_status(&bad, "unetseg_model_forward_with_activations(output=NULL)", st, 0);
        check_out(&bad, "unetseg_model_forward_with_activations(output=NULL)", st, v_activations[0], "activations[0]");
        unetseg_tensor_free(v_activations[0]);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_forward_with_activations(NULL, NULL, NULL, 1, NULL, NULL);
        check_status(&bad, "unetseg_model_forward_with_activations(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_save_weights(const unetseg_model *model, const char *path) */
static void test_model_save_weights(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_save_weights(bx->model, save_path);
            check_status(&bad, "unetseg_model_save_weights(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_save_weights(NULL, save_path);
        check_status(&bad, "unetseg_model_save_weights(model=NULL)", st, 0);
    }
    /* path = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_save_weights(fx->model, NULL);
        check_status(&bad, "unetseg_model_save_weights(path=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_save_weights(NULL, NULL);
        check_status(&bad, "unetseg_model_save_weights(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_load_weights(unetseg_model *model, const char *path, int32_t mode, const char **report) */
static void test_model_load_weights(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_report = NULL;
            prime_last_error();
            int32_t st = unetseg_model_load_weights(bx->model, weights_path, UNETSEG_LOAD_STRICT, &v_report);
            check_status(&bad, "unetseg_model_load_weights(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_report = NULL;
        prime_last_error();
        int32_t st = unetseg_model_load_weights(NULL, weights_path, UNETSEG_LOAD_STRICT, &v_report);
        check_status(&bad, "unetseg_model_load_weights(model=NULL)", st, 0);
    }
    /* path = NULL: must fail */
    {
        const char *v_report = NULL;
        prime_last_error();
        int32_t st = unetseg_model_load_weights(fx->model, NULL, UNETSEG_LOAD_STRICT, &v_report);
        check_status(&bad, "unetseg_model_load_weights(path=NULL)", st, 0);
    }
    /* report = NULL: allowed (header: '`report` (may be NULL) receives a borrowed text') */
    {
        prime_last_error();
        int32_t st = unetseg_model_load_weights(fx->model, weights_path, UNETSEG_LOAD_STRICT, NULL);
        check_status(&bad, "unetseg_model_load_weights(report=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_load_weights(NULL, NULL, UNETSEG_LOAD_STRICT, NULL);
        check_status(&bad, "unetseg_model_load_weights(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_load(const char *path, unetseg_model **out) */
static void test_model_load(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_model *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_model_load(weights_path, &v_out);
            check_status(&bad, "unetseg_model_load(all valid)", st, 1);
            check_out(&bad, "unetseg_model_load(all valid)", st, v_out, "out");
            unetseg_model_free(v_out);
        }
        fixture_free(bx);
    }
    /* path = NULL: must fail */
    {
        unetseg_model *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_model_load(NULL, &v_out);
        check_status(&bad, "unetseg_model_load(path=NULL)", st, 0);
        check_out(&bad, "unetseg_model_load(path=NULL)", st, v_out, "out");
        unetseg_model_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_load(weights_path, NULL);
        check_status(&bad, "unetseg_model_load(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_load(NULL, NULL);
        check_status(&bad, "unetseg_model_load(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_clone(const unetseg_model *model, unetseg_model **out) */
static void test_model_clone(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_model *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_model_clone(bx->model, &v_out);
            check_status(&bad, "unetseg_model_clone(all valid)", st, 1);
            check_out(&bad, "unetseg_model_clone(all valid)", st, v_out, "out");
            unetseg_model_free(v_out);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_model *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_model_clone(NULL, &v_out);
        check_status(&bad, "unetseg_model_clone(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_clone(model=NULL)", st, v_out, "out");
        unetseg_model_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_clone(fx->model, NULL);
        check_status(&bad, "unetseg_model_clone(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_clone(NULL, NULL);
        check_status(&bad, "unetseg_model_clone(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_param_bytes(const unetseg_model *model, const unetseg_model *const *others, int32_t n_others, int64_t *unique_bytes, int64_t *total_bytes, int64_t *cache_bytes) */
static void test_model_param_bytes(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const unetseg_model *v_others[1] = {bx->empty_model};
            int64_t v_unique_bytes = 0;
            int64_t v_total_bytes = 0;
            int64_t v_cache_bytes = 0;
            prime_last_error();
            int32_t st = unetseg_model_param_bytes(bx->model, v_others, 1, &v_unique_bytes, &v_total_bytes, &v_cache_bytes);
            check_status(&bad, "unetseg_model_param_bytes(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const unetseg_model *v_others[1] = {fx->empty_model};
        int64_t v_unique_bytes = 0;
        int64_t v_total_bytes = 0;
        int64_t v_cache_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(NULL, v_others, 1, &v_unique_bytes, &v_total_bytes, &v_cache_bytes);
        check_status(&bad, "unetseg_model_param_bytes(model=NULL)", st, 0);
    }
    /* others = NULL with n_others != 0: must fail */
    {
        int64_t v_unique_bytes = 0;
        int64_t v_total_bytes = 0;
        int64_t v_cache_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(fx->model, NULL, 1, &v_unique_bytes, &v_total_bytes, &v_cache_bytes);
        check_status(&bad, "unetseg_model_param_bytes(others=NULL)", st, 0);
    }
    /* others = NULL with n_others = 0: allowed (header: 'others may be NULL when n_others is 0') */
    {
        int64_t v_unique_bytes = 0;
        int64_t v_total_bytes = 0;
        int64_t v_cache_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(fx->model, NULL, 0, &v_unique_bytes, &v_total_bytes, &v_cache_bytes);
        check_status(&bad, "unetseg_model_param_bytes(others=NULL, n_others=0)", st, 1);
    }
    /* unique_bytes = NULL: allowed (header: 'Any output may be NULL.') */
    {
        const unetseg_model *v_others[1] = {fx->empty_model};
        int64_t v_total_bytes = 0;
        int64_t v_cache_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(fx->model, v_others, 1, NULL, &v_total_bytes, &v_cache_bytes);
        check_status(&bad, "unetseg_model_param_bytes(unique_bytes=NULL)", st, 1);
    }
    /* total_bytes = NULL: allowed (header: 'Any output may be NULL.') */
    {
        const unetseg_model *v_others[1] = {fx->empty_model};
        int64_t v_unique_bytes = 0;
        int64_t v_cache_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(fx->model, v_others, 1, &v_unique_bytes, NULL, &v_cache_bytes);
        check_status(&bad, "unetseg_model_param_bytes(total_bytes=NULL)", st, 1);
    }
    /* cache_bytes = NULL: allowed (header: 'Any output may be NULL.') */
    {
        const unetseg_model *v_others[1] = {fx->empty_model};
        int64_t v_unique_bytes = 0;
        int64_t v_total_bytes = 0;
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(fx->model, v_others, 1, &v_unique_bytes, &v_total_bytes, NULL);
        check_status(&bad, "unetseg_model_param_bytes(cache_bytes=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_param_bytes(NULL, NULL, 1, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_param_bytes(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_threads(unetseg_model *model, int32_t threads) */
static void test_model_set_threads(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_threads(bx->model, 1);
            check_status(&bad, "unetseg_model_set_threads(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_threads(NULL, 1);
        check_status(&bad, "unetseg_model_set_threads(model=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_kernel_cache_limit(unetseg_model *model, int64_t bytes) */
static void test_model_set_kernel_cache_limit(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_kernel_cache_limit(bx->model, 0);
            check_status(&bad, "unetseg_model_set_kernel_cache_limit(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_kernel_cache_limit(NULL, 0);
        check_status(&bad, "unetseg_model_set_kernel_cache_limit(model=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_set_max_threads(int32_t threads) */
static void test_set_max_threads(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_set_max_threads(0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_shutdown_workers(void) */
static void test_shutdown_workers(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        unetseg_shutdown_workers();
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_profiling(unetseg_model *model, int32_t enabled) */
static void test_model_set_profiling(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_profiling(bx->model, 1);
            check_status(&bad, "unetseg_model_set_profiling(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_profiling(NULL, 1);
        check_status(&bad, "unetseg_model_set_profiling(model=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_layer_profile(const unetseg_model *model, int32_t index, int64_t *runs, double *total_ms, double *idle_ms) */
static void test_model_layer_profile(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_runs = 0;
            double v_total_ms = 0;
            double v_idle_ms = 0;
            prime_last_error();
            int32_t st = unetseg_model_layer_profile(bx->model, 1, &v_runs, &v_total_ms, &v_idle_ms);
            check_status(&bad, "unetseg_model_layer_profile(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int64_t v_runs = 0;
        double v_total_ms = 0;
        double v_idle_ms = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_profile(NULL, 1, &v_runs, &v_total_ms, &v_idle_ms);
        check_status(&bad, "unetseg_model_layer_profile(model=NULL)", st, 0);
    }
    /* runs = NULL: allowed (header: 'Any output may be NULL.') */
    {
        double v_total_ms = 0;
        double v_idle_ms = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_profile(fx->model, 1, NULL, &v_total_ms, &v_idle_ms);
        check_status(&bad, "unetseg_model_layer_profile(runs=NULL)", st, 1);
    }
    /* total_ms = NULL: allowed (header: 'Any output may be NULL.') */
    {
        int64_t v_runs = 0;
        double v_idle_ms = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_profile(fx->model, 1, &v_runs, NULL, &v_idle_ms);
        check_status(&bad, "unetseg_model_layer_profile(total_ms=NULL)", st, 1);
    }
    /* idle_ms = NULL: allowed (header: 'Any output may be NULL.') */
    {
        int64_t v_runs = 0;
        double v_total_ms = 0;
        prime_last_error();
        int32_t st = unetseg_model_layer_profile(fx->model, 1, &v_runs, &v_total_ms, NULL);
        check_status(&bad, "unetseg_model_layer_profile(idle_ms=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_layer_profile(NULL, 1, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_layer_profile(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_profile(unetseg_model *model, const char **text) */
static void test_model_profile(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const char *v_text = NULL;
            prime_last_error();
            int32_t st = unetseg_model_profile(bx->model, &v_text);
            check_status(&bad, "unetseg_model_profile(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        const char *v_text = NULL;
        prime_last_error();
        int32_t st = unetseg_model_profile(NULL, &v_text);
        check_status(&bad, "unetseg_model_profile(model=NULL)", st, 0);
    }
    /* text = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_profile(fx->model, NULL);
        check_status(&bad, "unetseg_model_profile(text=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_profile(NULL, NULL);
        check_status(&bad, "unetseg_model_profile(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_seed(unetseg_model *model, uint64_t seed) */
static void test_model_set_seed(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_seed(bx->model, 42);
            check_status(&bad, "unetseg_model_set_seed(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_seed(NULL, 42);
        check_status(&bad, "unetseg_model_set_seed(model=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_set_mc_dropout(unetseg_model *model, int32_t enabled) */
static void test_model_set_mc_dropout(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_model_set_mc_dropout(bx->model, 1);
            check_status(&bad, "unetseg_model_set_mc_dropout(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_set_mc_dropout(NULL, 1);
        check_status(&bad, "unetseg_model_set_mc_dropout(model=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_predict_mc(unetseg_model *model, const unetseg_tensor *input, int32_t samples, uint64_t seed, unetseg_tensor **mean, unetseg_tensor **std, unetseg_tensor **entropy) */
static void test_model_predict_mc(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_mean = NULL;
            unetseg_tensor *v_std = NULL;
            unetseg_tensor *v_entropy = NULL;
            prime_last_error();
            int32_t st = unetseg_model_predict_mc(bx->model, bx->tensor, 2, 42, &v_mean, &v_std, &v_entropy);
            check_status(&bad, "unetseg_model_predict_mc(all valid)", st, 1);
            check_out(&bad, "unetseg_model_predict_mc(all valid)", st, v_mean, "mean");
            check_out(&bad, "unetseg_model_predict_mc(all valid)", st, v_std, "std");
            check_out(&bad, "unetseg_model_predict_mc(all valid)", st, v_entropy, "entropy");
            unetseg_tensor_free(v_mean);
            unetseg_tensor_free(v_std);
            unetseg_tensor_free(v_entropy);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(NULL, fx->tensor, 2, 42, &v_mean, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_mc(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_mc(model=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_mc(model=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_mc(model=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* input = NULL: must fail */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(fx->model, NULL, 2, 42, &v_mean, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_mc(input=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_mc(input=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_mc(input=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_mc(input=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* mean = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(fx->model, fx->tensor, 2, 42, NULL, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_mc(mean=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_mc(mean=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_mc(mean=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* std = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(fx->model, fx->tensor, 2, 42, &v_mean, NULL, &v_entropy);
        check_status(&bad, "unetseg_model_predict_mc(std=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_mc(std=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_mc(std=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_entropy);
    }
    /* entropy = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(fx->model, fx->tensor, 2, 42, &v_mean, &v_std, NULL);
        check_status(&bad, "unetseg_model_predict_mc(entropy=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_mc(entropy=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_mc(entropy=NULL)", st, v_std, "std");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_predict_mc(NULL, NULL, 2, 42, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_predict_mc(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_create(unetseg_tile_options **out) */
static void test_tile_options_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tile_options *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_tile_options_create(&v_out);
            check_status(&bad, "unetseg_tile_options_create(all valid)", st, 1);
            check_out(&bad, "unetseg_tile_options_create(all valid)", st, v_out, "out");
            unetseg_tile_options_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_create(NULL);
        check_status(&bad, "unetseg_tile_options_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_tile_options_free(unetseg_tile_options *options) */
static void test_tile_options_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* options = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_tile_options_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_set_tile(unetseg_tile_options *options, int64_t tile_h, int64_t tile_w) */
static void test_tile_options_set_tile(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_tile_options_set_tile(bx->tile_options, 8, 8);
            check_status(&bad, "unetseg_tile_options_set_tile(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_set_tile(NULL, 8, 8);
        check_status(&bad, "unetseg_tile_options_set_tile(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_set_overlap(unetseg_tile_options *options, int64_t overlap) */
static void test_tile_options_set_overlap(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_tile_options_set_overlap(bx->tile_options, 2);
            check_status(&bad, "unetseg_tile_options_set_overlap(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_set_overlap(NULL, 2);
        check_status(&bad, "unetseg_tile_options_set_overlap(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_set_margin(unetseg_tile_options *options, int64_t margin) */
static void test_tile_options_set_margin(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_tile_options_set_margin(bx->tile_options, 1);
            check_status(&bad, "unetseg_tile_options_set_margin(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_set_margin(NULL, 1);
        check_status(&bad, "unetseg_tile_options_set_margin(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_set_blend(unetseg_tile_options *options, int32_t blend) */
static void test_tile_options_set_blend(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_tile_options_set_blend(bx->tile_options, UNETSEG_BLEND_GAUSSIAN);
            check_status(&bad, "unetseg_tile_options_set_blend(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_set_blend(NULL, UNETSEG_BLEND_GAUSSIAN);
        check_status(&bad, "unetseg_tile_options_set_blend(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_tile_options_set_batch(unetseg_tile_options *options, int32_t batch) */
static void test_tile_options_set_batch(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_tile_options_set_batch(bx->tile_options, 2);
            check_status(&bad, "unetseg_tile_options_set_batch(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_tile_options_set_batch(NULL, 2);
        check_status(&bad, "unetseg_tile_options_set_batch(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_predict_tiled(unetseg_model *model, const unetseg_tensor *input, const unetseg_tile_options *options, unetseg_tensor **output) */
static void test_model_predict_tiled(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_output = NULL;
            prime_last_error();
            int32_t st = unetseg_model_predict_tiled(bx->model, bx->tensor, bx->tile_options, &v_output);
            check_status(&bad, "unetseg_model_predict_tiled(all valid)", st, 1);
            check_out(&bad, "unetseg_model_predict_tiled(all valid)", st, v_output, "output");
            unetseg_tensor_free(v_output);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled(NULL, fx->tensor, fx->tile_options, &v_output);
        check_status(&bad, "unetseg_model_predict_tiled(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled(model=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* input = NULL: must fail */
    {
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled(fx->model, NULL, fx->tile_options, &v_output);
        check_status(&bad, "unetseg_model_predict_tiled(input=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled(input=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* options = NULL: must fail */
    {
        unetseg_tensor *v_output = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled(fx->model, fx->tensor, NULL, &v_output);
        check_status(&bad, "unetseg_model_predict_tiled(options=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled(options=NULL)", st, v_output, "output");
        unetseg_tensor_free(v_output);
    }
    /* output = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled(fx->model, fx->tensor, fx->tile_options, NULL);
        check_status(&bad, "unetseg_model_predict_tiled(output=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled(NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_predict_tiled(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_predict_tiled_mc(unetseg_model *model, const unetseg_tensor *input, const unetseg_tile_options *options, int32_t samples, uint64_t seed, unetseg_tensor **mean, unetseg_tensor **std, unetseg_tensor **entropy) */
static void test_model_predict_tiled_mc(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_tensor *v_mean = NULL;
            unetseg_tensor *v_std = NULL;
            unetseg_tensor *v_entropy = NULL;
            prime_last_error();
            int32_t st = unetseg_model_predict_tiled_mc(bx->model, bx->tensor, bx->tile_options, 2, 42, &v_mean, &v_std, &v_entropy);
            check_status(&bad, "unetseg_model_predict_tiled_mc(all valid)", st, 1);
            check_out(&bad, "unetseg_model_predict_tiled_mc(all valid)", st, v_mean, "mean");
            check_out(&bad, "unetseg_model_predict_tiled_mc(all valid)", st, v_std, "std");
            check_out(&bad, "unetseg_model_predict_tiled_mc(all valid)", st, v_entropy, "entropy");
            unetseg_tensor_free(v_mean);
            unetseg_tensor_free(v_std);
            unetseg_tensor_free(v_entropy);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(NULL, fx->tensor, fx->tile_options, 2, 42, &v_mean, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_tiled_mc(model=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled_mc(model=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_tiled_mc(model=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_tiled_mc(model=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* input = NULL: must fail */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(fx->model, NULL, fx->tile_options, 2, 42, &v_mean, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_tiled_mc(input=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled_mc(input=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_tiled_mc(input=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_tiled_mc(input=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* options = NULL: must fail */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(fx->model, fx->tensor, NULL, 2, 42, &v_mean, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_tiled_mc(options=NULL)", st, 0);
        check_out(&bad, "unetseg_model_predict_tiled_mc(options=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_tiled_mc(options=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_tiled_mc(options=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* mean = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_std = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(fx->model, fx->tensor, fx->tile_options, 2, 42, NULL, &v_std, &v_entropy);
        check_status(&bad, "unetseg_model_predict_tiled_mc(mean=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_tiled_mc(mean=NULL)", st, v_std, "std");
        check_out(&bad, "unetseg_model_predict_tiled_mc(mean=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_std);
        unetseg_tensor_free(v_entropy);
    }
    /* std = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_entropy = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(fx->model, fx->tensor, fx->tile_options, 2, 42, &v_mean, NULL, &v_entropy);
        check_status(&bad, "unetseg_model_predict_tiled_mc(std=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_tiled_mc(std=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_tiled_mc(std=NULL)", st, v_entropy, "entropy");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_entropy);
    }
    /* entropy = NULL: allowed (header: 'Any of mean/std/entropy may be NULL if not wanted.') */
    {
        unetseg_tensor *v_mean = NULL;
        unetseg_tensor *v_std = NULL;
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(fx->model, fx->tensor, fx->tile_options, 2, 42, &v_mean, &v_std, NULL);
        check_status(&bad, "unetseg_model_predict_tiled_mc(entropy=NULL)", st, 1);
        check_out(&bad, "unetseg_model_predict_tiled_mc(entropy=NULL)", st, v_mean, "mean");
        check_out(&bad, "unetseg_model_predict_tiled_mc(entropy=NULL)", st, v_std, "std");
        unetseg_tensor_free(v_mean);
        unetseg_tensor_free(v_std);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_predict_tiled_mc(NULL, NULL, NULL, 2, 42, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_predict_tiled_mc(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_create(unetseg_matcher **out) */
static void test_matcher_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_matcher *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_matcher_create(&v_out);
            check_status(&bad, "unetseg_matcher_create(all valid)", st, 1);
            check_out(&bad, "unetseg_matcher_create(all valid)", st, v_out, "out");
            unetseg_matcher_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_create(NULL);
        check_status(&bad, "unetseg_matcher_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_matcher_free(unetseg_matcher *matcher) */
static void test_matcher_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* matcher = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_matcher_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_require(unetseg_matcher *matcher, const char *substring) */
static void test_matcher_require(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_require(bx->matcher, "conv");
            check_status(&bad, "unetseg_matcher_require(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_require(NULL, "conv");
        check_status(&bad, "unetseg_matcher_require(matcher=NULL)", st, 0);
    }
    /* substring = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_require(fx->matcher, NULL);
        check_status(&bad, "unetseg_matcher_require(substring=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_require(NULL, NULL);
        check_status(&bad, "unetseg_matcher_require(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_exclude(unetseg_matcher *matcher, const char *substring) */
static void test_matcher_exclude(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_exclude(bx->matcher, "conv");
            check_status(&bad, "unetseg_matcher_exclude(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_exclude(NULL, "conv");
        check_status(&bad, "unetseg_matcher_exclude(matcher=NULL)", st, 0);
    }
    /* substring = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_exclude(fx->matcher, NULL);
        check_status(&bad, "unetseg_matcher_exclude(substring=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_exclude(NULL, NULL);
        check_status(&bad, "unetseg_matcher_exclude(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_glob(unetseg_matcher *matcher, const char *pattern) */
static void test_matcher_glob(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_glob(bx->matcher, "conv*");
            check_status(&bad, "unetseg_matcher_glob(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_glob(NULL, "conv*");
        check_status(&bad, "unetseg_matcher_glob(matcher=NULL)", st, 0);
    }
    /* pattern = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_glob(fx->matcher, NULL);
        check_status(&bad, "unetseg_matcher_glob(pattern=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_glob(NULL, NULL);
        check_status(&bad, "unetseg_matcher_glob(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_regex(unetseg_matcher *matcher, const char *regex) */
static void test_matcher_regex(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_regex(bx->matcher, "^conv");
            check_status(&bad, "unetseg_matcher_regex(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_regex(NULL, "^conv");
        check_status(&bad, "unetseg_matcher_regex(matcher=NULL)", st, 0);
    }
    /* regex = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_regex(fx->matcher, NULL);
        check_status(&bad, "unetseg_matcher_regex(regex=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_regex(NULL, NULL);
        check_status(&bad, "unetseg_matcher_regex(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_kind(unetseg_matcher *matcher, int32_t kind) */
static void test_matcher_kind(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_kind(bx->matcher, UNETSEG_LAYER_CONV2D);
            check_status(&bad, "unetseg_matcher_kind(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_kind(NULL, UNETSEG_LAYER_CONV2D);
        check_status(&bad, "unetseg_matcher_kind(matcher=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_region(unetseg_matcher *matcher, int32_t region) */
static void test_matcher_region(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_region(bx->matcher, UNETSEG_REGION_ENCODER);
            check_status(&bad, "unetseg_matcher_region(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_region(NULL, UNETSEG_REGION_ENCODER);
        check_status(&bad, "unetseg_matcher_region(matcher=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_callback(unetseg_matcher *matcher, unetseg_match_fn fn, void *user) */
static void test_matcher_callback(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_callback(bx->matcher, null_args_match_fn, &null_args_user);
            check_status(&bad, "unetseg_matcher_callback(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback(NULL, null_args_match_fn, &null_args_user);
        check_status(&bad, "unetseg_matcher_callback(matcher=NULL)", st, 0);
    }
    /* fn = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback(fx->matcher, NULL, &null_args_user);
        check_status(&bad, "unetseg_matcher_callback(fn=NULL)", st, 0);
    }
    /* user = NULL: allowed (header: '`user` is passed through unchanged'; docs/API.md: 'Errors: INVALID_ARG (NULL `fn`)' only) */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback(fx->matcher, null_args_match_fn, NULL);
        check_status(&bad, "unetseg_matcher_callback(user=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback(NULL, NULL, NULL);
        check_status(&bad, "unetseg_matcher_callback(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_callback_ex(unetseg_matcher *matcher, unetseg_match_fn fn, void *user, unetseg_destroy_fn destroy) */
static void test_matcher_callback_ex(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_matcher_callback_ex(bx->matcher, null_args_match_fn, &null_args_user, null_args_destroy_fn);
            check_status(&bad, "unetseg_matcher_callback_ex(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* matcher = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback_ex(NULL, null_args_match_fn, &null_args_user, null_args_destroy_fn);
        check_status(&bad, "unetseg_matcher_callback_ex(matcher=NULL)", st, 0);
    }
    /* fn = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback_ex(fx->matcher, NULL, &null_args_user, null_args_destroy_fn);
        check_status(&bad, "unetseg_matcher_callback_ex(fn=NULL)", st, 0);
    }
    /* user = NULL: allowed (header: 'The same' as unetseg_matcher_callback ('`user` is passed through unchanged'); Errors: INVALID_ARG (NULL matcher or fn) only) */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback_ex(fx->matcher, null_args_match_fn, NULL, null_args_destroy_fn);
        check_status(&bad, "unetseg_matcher_callback_ex(user=NULL)", st, 1);
    }
    /* destroy = NULL: allowed (header: 'destroy may be NULL') */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback_ex(fx->matcher, null_args_match_fn, &null_args_user, NULL);
        check_status(&bad, "unetseg_matcher_callback_ex(destroy=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_callback_ex(NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_matcher_callback_ex(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_matcher_parse(const char *expression, unetseg_matcher **out) */
static void test_matcher_parse(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_matcher *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_matcher_parse("conv", &v_out);
            check_status(&bad, "unetseg_matcher_parse(all valid)", st, 1);
            check_out(&bad, "unetseg_matcher_parse(all valid)", st, v_out, "out");
            unetseg_matcher_free(v_out);
        }
        fixture_free(bx);
    }
    /* expression = NULL: must fail */
    {
        unetseg_matcher *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_matcher_parse(NULL, &v_out);
        check_status(&bad, "unetseg_matcher_parse(expression=NULL)", st, 0);
        check_out(&bad, "unetseg_matcher_parse(expression=NULL)", st, v_out, "out");
        unetseg_matcher_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_parse("conv", NULL);
        check_status(&bad, "unetseg_matcher_parse(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_matcher_parse(NULL, NULL);
        check_status(&bad, "unetseg_matcher_parse(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_match(const unetseg_model *model, const unetseg_matcher *matcher, int32_t *indices, int32_t capacity, int32_t *count) */
static void test_model_match(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_indices[8] = {0};
            int32_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_model_match(bx->model, bx->matcher, v_indices, 8, &v_count);
            check_status(&bad, "unetseg_model_match(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_indices[8] = {0};
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_match(NULL, fx->matcher, v_indices, 8, &v_count);
        check_status(&bad, "unetseg_model_match(model=NULL)", st, 0);
    }
    /* matcher = NULL: must fail */
    {
        int32_t v_indices[8] = {0};
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_match(fx->model, NULL, v_indices, 8, &v_count);
        check_status(&bad, "unetseg_model_match(matcher=NULL)", st, 0);
    }
    /* indices = NULL with capacity != 0: must fail */
    {
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_match(fx->model, fx->matcher, NULL, 8, &v_count);
        check_status(&bad, "unetseg_model_match(indices=NULL)", st, 0);
    }
    /* indices = NULL with capacity = 0: allowed (header: '`indices` (may be NULL when capacity is 0)') */
    {
        int32_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_model_match(fx->model, fx->matcher, NULL, 0, &v_count);
        check_status(&bad, "unetseg_model_match(indices=NULL, capacity=0)", st, 1);
    }
    /* count = NULL: must fail */
    {
        int32_t v_indices[8] = {0};
        prime_last_error();
        int32_t st = unetseg_model_match(fx->model, fx->matcher, v_indices, 8, NULL);
        check_status(&bad, "unetseg_model_match(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_match(NULL, NULL, NULL, 8, NULL);
        check_status(&bad, "unetseg_model_match(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_create(unetseg_insert_options **out) */
static void test_insert_options_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_insert_options *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_insert_options_create(&v_out);
            check_status(&bad, "unetseg_insert_options_create(all valid)", st, 1);
            check_out(&bad, "unetseg_insert_options_create(all valid)", st, v_out, "out");
            unetseg_insert_options_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_create(NULL);
        check_status(&bad, "unetseg_insert_options_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_insert_options_free(unetseg_insert_options *options) */
static void test_insert_options_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* options = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_insert_options_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_kind(unetseg_insert_options *options, int32_t kind) */
static void test_insert_options_set_kind(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_kind(bx->insert_options, UNETSEG_LAYER_DROPOUT);
            check_status(&bad, "unetseg_insert_options_set_kind(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_kind(NULL, UNETSEG_LAYER_DROPOUT);
        check_status(&bad, "unetseg_insert_options_set_kind(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_rate(unetseg_insert_options *options, double rate) */
static void test_insert_options_set_rate(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_rate(bx->insert_options, 0.1);
            check_status(&bad, "unetseg_insert_options_set_rate(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_rate(NULL, 0.1);
        check_status(&bad, "unetseg_insert_options_set_rate(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_mode(unetseg_insert_options *options, int32_t mode, int32_t spatial) */
static void test_insert_options_set_mode(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_mode(bx->insert_options, UNETSEG_DROPOUT_ALWAYS, 0);
            check_status(&bad, "unetseg_insert_options_set_mode(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_mode(NULL, UNETSEG_DROPOUT_ALWAYS, 0);
        check_status(&bad, "unetseg_insert_options_set_mode(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_position(unetseg_insert_options *options, int32_t position) */
static void test_insert_options_set_position(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_position(bx->insert_options, UNETSEG_INSERT_AFTER);
            check_status(&bad, "unetseg_insert_options_set_position(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_position(NULL, UNETSEG_INSERT_AFTER);
        check_status(&bad, "unetseg_insert_options_set_position(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_suffix(unetseg_insert_options *options, const char *suffix) */
static void test_insert_options_set_suffix(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_suffix(bx->insert_options, "_d");
            check_status(&bad, "unetseg_insert_options_set_suffix(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_suffix(NULL, "_d");
        check_status(&bad, "unetseg_insert_options_set_suffix(options=NULL)", st, 0);
    }
    /* suffix = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_suffix(fx->insert_options, NULL);
        check_status(&bad, "unetseg_insert_options_set_suffix(suffix=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_suffix(NULL, NULL);
        check_status(&bad, "unetseg_insert_options_set_suffix(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_insert_options_set_allow_no_match(unetseg_insert_options *options, int32_t allow) */
static void test_insert_options_set_allow_no_match(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_insert_options_set_allow_no_match(bx->insert_options, 1);
            check_status(&bad, "unetseg_insert_options_set_allow_no_match(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_insert_options_set_allow_no_match(NULL, 1);
        check_status(&bad, "unetseg_insert_options_set_allow_no_match(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_model_insert_dropout(unetseg_model *model, const unetseg_matcher *matcher, const unetseg_insert_options *options, int32_t *inserted) */
static void test_model_insert_dropout(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int32_t v_inserted = 0;
            prime_last_error();
            int32_t st = unetseg_model_insert_dropout(bx->model, bx->matcher, bx->insert_options, &v_inserted);
            check_status(&bad, "unetseg_model_insert_dropout(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        int32_t v_inserted = 0;
        prime_last_error();
        int32_t st = unetseg_model_insert_dropout(NULL, fx->matcher, fx->insert_options, &v_inserted);
        check_status(&bad, "unetseg_model_insert_dropout(model=NULL)", st, 0);
    }
    /* matcher = NULL: must fail */
    {
        int32_t v_inserted = 0;
        prime_last_error();
        int32_t st = unetseg_model_insert_dropout(fx->model, NULL, fx->insert_options, &v_inserted);
        check_status(&bad, "unetseg_model_insert_dropout(matcher=NULL)", st, 0);
    }
    /* options = NULL: must fail */
    {
        int32_t v_inserted = 0;
        prime_last_error();
        int32_t st = unetseg_model_insert_dropout(fx->model, fx->matcher, NULL, &v_inserted);
        check_status(&bad, "unetseg_model_insert_dropout(options=NULL)", st, 0);
    }
    /* inserted = NULL: allowed (header: '*inserted (may be NULL) receives the number of new layers') */
    {
        prime_last_error();
        int32_t st = unetseg_model_insert_dropout(fx->model, fx->matcher, fx->insert_options, NULL);
        check_status(&bad, "unetseg_model_insert_dropout(inserted=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_model_insert_dropout(NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_model_insert_dropout(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_create(unetseg_train_options **out) */
static void test_train_options_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_train_options *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_train_options_create(&v_out);
            check_status(&bad, "unetseg_train_options_create(all valid)", st, 1);
            check_out(&bad, "unetseg_train_options_create(all valid)", st, v_out, "out");
            unetseg_train_options_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_create(NULL);
        check_status(&bad, "unetseg_train_options_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_train_options_free(unetseg_train_options *options) */
static void test_train_options_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* options = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_train_options_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_loss(unetseg_train_options *options, int32_t loss) */
static void test_train_options_set_loss(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_loss(bx->train_options, UNETSEG_LOSS_BCE);
            check_status(&bad, "unetseg_train_options_set_loss(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_loss(NULL, UNETSEG_LOSS_BCE);
        check_status(&bad, "unetseg_train_options_set_loss(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_class_weights(unetseg_train_options *options, const float *weights, int32_t n) */
static void test_train_options_set_class_weights(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const float v_weights[1] = {1.0f};
            prime_last_error();
            int32_t st = unetseg_train_options_set_class_weights(bx->train_options, v_weights, 1);
            check_status(&bad, "unetseg_train_options_set_class_weights(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        const float v_weights[1] = {1.0f};
        prime_last_error();
        int32_t st = unetseg_train_options_set_class_weights(NULL, v_weights, 1);
        check_status(&bad, "unetseg_train_options_set_class_weights(options=NULL)", st, 0);
    }
    /* weights = NULL: allowed (header: 'NULL/0 removes them'; docs/API.md: 'NULL or n = 0 removes them') */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_class_weights(fx->train_options, NULL, 1);
        check_status(&bad, "unetseg_train_options_set_class_weights(weights=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_class_weights(NULL, NULL, 1);
        check_status(&bad, "unetseg_train_options_set_class_weights(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_optimizer(unetseg_train_options *options, int32_t optimizer, double learning_rate) */
static void test_train_options_set_optimizer(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_optimizer(bx->train_options, UNETSEG_OPTIMIZER_ADAM, 1e-3);
            check_status(&bad, "unetseg_train_options_set_optimizer(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_optimizer(NULL, UNETSEG_OPTIMIZER_ADAM, 1e-3);
        check_status(&bad, "unetseg_train_options_set_optimizer(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_sgd(unetseg_train_options *options, double momentum, int32_t nesterov, double weight_decay) */
static void test_train_options_set_sgd(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_sgd(bx->train_options, 0.9, 0, 0.0);
            check_status(&bad, "unetseg_train_options_set_sgd(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_sgd(NULL, 0.9, 0, 0.0);
        check_status(&bad, "unetseg_train_options_set_sgd(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_adam(unetseg_train_options *options, double beta1, double beta2, double epsilon) */
static void test_train_options_set_adam(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_adam(bx->train_options, 0.9, 0.999, 1e-7);
            check_status(&bad, "unetseg_train_options_set_adam(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_adam(NULL, 0.9, 0.999, 1e-7);
        check_status(&bad, "unetseg_train_options_set_adam(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_schedule(unetseg_train_options *options, int32_t schedule, int64_t step_size, double gamma, int64_t total_steps, double min_lr) */
static void test_train_options_set_schedule(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_schedule(bx->train_options, UNETSEG_SCHEDULE_STEP, 10, 0.5, 100, 0.0);
            check_status(&bad, "unetseg_train_options_set_schedule(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_schedule(NULL, UNETSEG_SCHEDULE_STEP, 10, 0.5, 100, 0.0);
        check_status(&bad, "unetseg_train_options_set_schedule(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_train_options_set_seed(unetseg_train_options *options, uint64_t seed) */
static void test_train_options_set_seed(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_train_options_set_seed(bx->train_options, 42);
            check_status(&bad, "unetseg_train_options_set_seed(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_train_options_set_seed(NULL, 42);
        check_status(&bad, "unetseg_train_options_set_seed(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_create(unetseg_model *model, const unetseg_train_options *options, unetseg_trainer **out) */
static void test_trainer_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_trainer *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_trainer_create(bx->model, bx->train_options, &v_out);
            check_status(&bad, "unetseg_trainer_create(all valid)", st, 1);
            check_out(&bad, "unetseg_trainer_create(all valid)", st, v_out, "out");
            unetseg_trainer_free(v_out);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        unetseg_trainer *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_trainer_create(NULL, fx->train_options, &v_out);
        check_status(&bad, "unetseg_trainer_create(model=NULL)", st, 0);
        check_out(&bad, "unetseg_trainer_create(model=NULL)", st, v_out, "out");
        unetseg_trainer_free(v_out);
    }
    /* options = NULL: must fail */
    {
        unetseg_trainer *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_trainer_create(fx->model, NULL, &v_out);
        check_status(&bad, "unetseg_trainer_create(options=NULL)", st, 0);
        check_out(&bad, "unetseg_trainer_create(options=NULL)", st, v_out, "out");
        unetseg_trainer_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_create(fx->model, fx->train_options, NULL);
        check_status(&bad, "unetseg_trainer_create(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_create(NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_create(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_trainer_free(unetseg_trainer *trainer) */
static void test_trainer_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* trainer = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_trainer_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_trainer_last_error(const unetseg_trainer *trainer) */
static void test_trainer_last_error(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const void *r = unetseg_trainer_last_error(bx->trainer);
            if (r == NULL) {
                print_error("%s: returned NULL\n", "unetseg_trainer_last_error(all valid)");
                bad++;
            }
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must not crash */
    {
        const void *r = unetseg_trainer_last_error(NULL);
        if (r != NULL) (void)strlen((const char *)r); /* NULL or a string */
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_step(unetseg_trainer *trainer, const unetseg_tensor *images, const unetseg_tensor *masks, double *loss) */
static void test_trainer_step(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            double v_loss = 0;
            prime_last_error();
            int32_t st = unetseg_trainer_step(bx->trainer, bx->tensor, bx->masks, &v_loss);
            check_status(&bad, "unetseg_trainer_step(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        double v_loss = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_step(NULL, fx->tensor, fx->masks, &v_loss);
        check_status(&bad, "unetseg_trainer_step(trainer=NULL)", st, 0);
    }
    /* images = NULL: must fail */
    {
        double v_loss = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_step(fx->trainer, NULL, fx->masks, &v_loss);
        check_status(&bad, "unetseg_trainer_step(images=NULL)", st, 0);
    }
    /* masks = NULL: must fail */
    {
        double v_loss = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_step(fx->trainer, fx->tensor, NULL, &v_loss);
        check_status(&bad, "unetseg_trainer_step(masks=NULL)", st, 0);
    }
    /* loss = NULL: allowed (header: '*loss (may be NULL) receives the batch loss') */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_step(fx->trainer, fx->tensor, fx->masks, NULL);
        check_status(&bad, "unetseg_trainer_step(loss=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_step(NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_step(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_evaluate(unetseg_trainer *trainer, const unetseg_tensor *images, const unetseg_tensor *masks, double *loss, double *iou, double *fscore) */
static void test_trainer_evaluate(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            double v_loss = 0;
            double v_iou = 0;
            double v_fscore = 0;
            prime_last_error();
            int32_t st = unetseg_trainer_evaluate(bx->trainer, bx->tensor, bx->masks, &v_loss, &v_iou, &v_fscore);
            check_status(&bad, "unetseg_trainer_evaluate(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        double v_loss = 0;
        double v_iou = 0;
        double v_fscore = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(NULL, fx->tensor, fx->masks, &v_loss, &v_iou, &v_fscore);
        check_status(&bad, "unetseg_trainer_evaluate(trainer=NULL)", st, 0);
    }
    /* images = NULL: must fail */
    {
        double v_loss = 0;
        double v_iou = 0;
        double v_fscore = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(fx->trainer, NULL, fx->masks, &v_loss, &v_iou, &v_fscore);
        check_status(&bad, "unetseg_trainer_evaluate(images=NULL)", st, 0);
    }
    /* masks = NULL: must fail */
    {
        double v_loss = 0;
        double v_iou = 0;
        double v_fscore = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(fx->trainer, fx->tensor, NULL, &v_loss, &v_iou, &v_fscore);
        check_status(&bad, "unetseg_trainer_evaluate(masks=NULL)", st, 0);
    }
    /* loss = NULL: allowed (header: 'any output may be NULL') */
    {
        double v_iou = 0;
        double v_fscore = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(fx->trainer, fx->tensor, fx->masks, NULL, &v_iou, &v_fscore);
        check_status(&bad, "unetseg_trainer_evaluate(loss=NULL)", st, 1);
    }
    /* iou = NULL: allowed (header: 'any output may be NULL') */
    {
        double v_loss = 0;
        double v_fscore = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(fx->trainer, fx->tensor, fx->masks, &v_loss, NULL, &v_fscore);
        check_status(&bad, "unetseg_trainer_evaluate(iou=NULL)", st, 1);
    }
    /* fscore = NULL: allowed (header: 'any output may be NULL') */
    {
        double v_loss = 0;
        double v_iou = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(fx->trainer, fx->tensor, fx->masks, &v_loss, &v_iou, NULL);
        check_status(&bad, "unetseg_trainer_evaluate(fscore=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_evaluate(NULL, NULL, NULL, NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_evaluate(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_recalibrate_bn(unetseg_trainer *trainer, const unetseg_tensor *images, int32_t reset) */
static void test_trainer_recalibrate_bn(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_recalibrate_bn(bx->trainer, bx->tensor, 1);
            check_status(&bad, "unetseg_trainer_recalibrate_bn(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_recalibrate_bn(NULL, fx->tensor, 1);
        check_status(&bad, "unetseg_trainer_recalibrate_bn(trainer=NULL)", st, 0);
    }
    /* images = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_recalibrate_bn(fx->trainer, NULL, 1);
        check_status(&bad, "unetseg_trainer_recalibrate_bn(images=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_recalibrate_bn(NULL, NULL, 1);
        check_status(&bad, "unetseg_trainer_recalibrate_bn(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_progress(const unetseg_trainer *trainer, int64_t *steps, double *learning_rate) */
static void test_trainer_progress(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_steps = 0;
            double v_learning_rate = 0;
            prime_last_error();
            int32_t st = unetseg_trainer_progress(bx->trainer, &v_steps, &v_learning_rate);
            check_status(&bad, "unetseg_trainer_progress(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        int64_t v_steps = 0;
        double v_learning_rate = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_progress(NULL, &v_steps, &v_learning_rate);
        check_status(&bad, "unetseg_trainer_progress(trainer=NULL)", st, 0);
    }
    /* steps = NULL: allowed (docs/API.md: 'outputs may be NULL') */
    {
        double v_learning_rate = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_progress(fx->trainer, NULL, &v_learning_rate);
        check_status(&bad, "unetseg_trainer_progress(steps=NULL)", st, 1);
    }
    /* learning_rate = NULL: allowed (docs/API.md: 'outputs may be NULL') */
    {
        int64_t v_steps = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_progress(fx->trainer, &v_steps, NULL);
        check_status(&bad, "unetseg_trainer_progress(learning_rate=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_progress(NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_progress(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_set_learning_rate(unetseg_trainer *trainer, double learning_rate) */
static void test_trainer_set_learning_rate(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_set_learning_rate(bx->trainer, 1e-3);
            check_status(&bad, "unetseg_trainer_set_learning_rate(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_learning_rate(NULL, 1e-3);
        check_status(&bad, "unetseg_trainer_set_learning_rate(trainer=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_sync_trainable(unetseg_trainer *trainer) */
static void test_trainer_sync_trainable(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_sync_trainable(bx->trainer);
            check_status(&bad, "unetseg_trainer_sync_trainable(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_sync_trainable(NULL);
        check_status(&bad, "unetseg_trainer_sync_trainable(trainer=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_set_gradient_hook(unetseg_trainer *trainer, unetseg_gradient_hook hook, void *user) */
static void test_trainer_set_gradient_hook(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_set_gradient_hook(bx->trainer, null_args_gradient_hook, &null_args_user);
            check_status(&bad, "unetseg_trainer_set_gradient_hook(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_gradient_hook(NULL, null_args_gradient_hook, &null_args_user);
        check_status(&bad, "unetseg_trainer_set_gradient_hook(trainer=NULL)", st, 0);
    }
    /* hook = NULL: allowed (header: 'Set (or with NULL remove) the gradient hook') */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_gradient_hook(fx->trainer, NULL, &null_args_user);
        check_status(&bad, "unetseg_trainer_set_gradient_hook(hook=NULL)", st, 1);
    }
    /* user = NULL: allowed (header: '`user` is passed through'; Errors: INVALID_ARG (trainer NULL) only) */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_gradient_hook(fx->trainer, null_args_gradient_hook, NULL);
        check_status(&bad, "unetseg_trainer_set_gradient_hook(user=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_gradient_hook(NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_set_gradient_hook(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_set_batchnorm_sync_hook(unetseg_trainer *trainer, unetseg_batchnorm_sync_hook hook, void *user) */
static void test_trainer_set_batchnorm_sync_hook(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_set_batchnorm_sync_hook(bx->trainer, null_args_batchnorm_sync_hook, &null_args_user);
            check_status(&bad, "unetseg_trainer_set_batchnorm_sync_hook(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_batchnorm_sync_hook(NULL, null_args_batchnorm_sync_hook, &null_args_user);
        check_status(&bad, "unetseg_trainer_set_batchnorm_sync_hook(trainer=NULL)", st, 0);
    }
    /* hook = NULL: allowed (header: 'Set (or with NULL remove) the BatchNorm sync hook') */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_batchnorm_sync_hook(fx->trainer, NULL, &null_args_user);
        check_status(&bad, "unetseg_trainer_set_batchnorm_sync_hook(hook=NULL)", st, 1);
    }
    /* user = NULL: allowed (header: '`user` is passed through'; Errors: INVALID_ARG (trainer NULL) only) */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_batchnorm_sync_hook(fx->trainer, null_args_batchnorm_sync_hook, NULL);
        check_status(&bad, "unetseg_trainer_set_batchnorm_sync_hook(user=NULL)", st, 1);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_set_batchnorm_sync_hook(NULL, NULL, NULL);
        check_status(&bad, "unetseg_trainer_set_batchnorm_sync_hook(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_gradient_count(const unetseg_trainer *trainer, int64_t *count) */
static void test_trainer_gradient_count(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            int64_t v_count = 0;
            prime_last_error();
            int32_t st = unetseg_trainer_gradient_count(bx->trainer, &v_count);
            check_status(&bad, "unetseg_trainer_gradient_count(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        int64_t v_count = 0;
        prime_last_error();
        int32_t st = unetseg_trainer_gradient_count(NULL, &v_count);
        check_status(&bad, "unetseg_trainer_gradient_count(trainer=NULL)", st, 0);
    }
    /* count = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_gradient_count(fx->trainer, NULL);
        check_status(&bad, "unetseg_trainer_gradient_count(count=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_gradient_count(NULL, NULL);
        check_status(&bad, "unetseg_trainer_gradient_count(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_save_checkpoint(const unetseg_trainer *trainer, const char *path) */
static void test_trainer_save_checkpoint(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_save_checkpoint(bx->trainer, save_path);
            check_status(&bad, "unetseg_trainer_save_checkpoint(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_save_checkpoint(NULL, save_path);
        check_status(&bad, "unetseg_trainer_save_checkpoint(trainer=NULL)", st, 0);
    }
    /* path = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_save_checkpoint(fx->trainer, NULL);
        check_status(&bad, "unetseg_trainer_save_checkpoint(path=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_save_checkpoint(NULL, NULL);
        check_status(&bad, "unetseg_trainer_save_checkpoint(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_trainer_load_checkpoint(unetseg_trainer *trainer, const char *path) */
static void test_trainer_load_checkpoint(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_trainer_load_checkpoint(bx->trainer, checkpoint_path);
            check_status(&bad, "unetseg_trainer_load_checkpoint(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* trainer = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_load_checkpoint(NULL, checkpoint_path);
        check_status(&bad, "unetseg_trainer_load_checkpoint(trainer=NULL)", st, 0);
    }
    /* path = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_load_checkpoint(fx->trainer, NULL);
        check_status(&bad, "unetseg_trainer_load_checkpoint(path=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_trainer_load_checkpoint(NULL, NULL);
        check_status(&bad, "unetseg_trainer_load_checkpoint(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_create(unetseg_unet_options **out) */
static void test_unet_options_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_unet_options *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_unet_options_create(&v_out);
            check_status(&bad, "unetseg_unet_options_create(all valid)", st, 1);
            check_out(&bad, "unetseg_unet_options_create(all valid)", st, v_out, "out");
            unetseg_unet_options_free(v_out);
        }
        fixture_free(bx);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_create(NULL);
        check_status(&bad, "unetseg_unet_options_create(out=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* const char * unetseg_backbone_name(int32_t index) */
static void test_backbone_name(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* no pointer parameters: one call with valid arguments (no crash) */
    {
        (void)unetseg_backbone_name(1);
    }
    assert_int_equal(bad, 0);
}

/* void unetseg_unet_options_free(unetseg_unet_options *options) */
static void test_unet_options_free(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* options = NULL: must not crash (the header: NULL is fine) */
    {
        unetseg_unet_options_free(NULL);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_backbone(unetseg_unet_options *options, const char *backbone) */
static void test_unet_options_set_backbone(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_backbone(bx->unet_options, "resnet18");
            check_status(&bad, "unetseg_unet_options_set_backbone(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_backbone(NULL, "resnet18");
        check_status(&bad, "unetseg_unet_options_set_backbone(options=NULL)", st, 0);
    }
    /* backbone = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_backbone(fx->unet_options, NULL);
        check_status(&bad, "unetseg_unet_options_set_backbone(backbone=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_backbone(NULL, NULL);
        check_status(&bad, "unetseg_unet_options_set_backbone(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_input_shape(unetseg_unet_options *options, int64_t height, int64_t width, int64_t channels) */
static void test_unet_options_set_input_shape(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_input_shape(bx->unet_options, 32, 32, 3);
            check_status(&bad, "unetseg_unet_options_set_input_shape(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_input_shape(NULL, 32, 32, 3);
        check_status(&bad, "unetseg_unet_options_set_input_shape(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_classes(unetseg_unet_options *options, int64_t classes) */
static void test_unet_options_set_classes(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_classes(bx->unet_options, 1);
            check_status(&bad, "unetseg_unet_options_set_classes(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_classes(NULL, 1);
        check_status(&bad, "unetseg_unet_options_set_classes(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_activation(unetseg_unet_options *options, int32_t activation) */
static void test_unet_options_set_activation(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_activation(bx->unet_options, UNETSEG_ACT_SIGMOID);
            check_status(&bad, "unetseg_unet_options_set_activation(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_activation(NULL, UNETSEG_ACT_SIGMOID);
        check_status(&bad, "unetseg_unet_options_set_activation(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_decoder_block_type(unetseg_unet_options *options, const char *block_type) */
static void test_unet_options_set_decoder_block_type(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_decoder_block_type(bx->unet_options, "upsampling");
            check_status(&bad, "unetseg_unet_options_set_decoder_block_type(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_block_type(NULL, "upsampling");
        check_status(&bad, "unetseg_unet_options_set_decoder_block_type(options=NULL)", st, 0);
    }
    /* block_type = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_block_type(fx->unet_options, NULL);
        check_status(&bad, "unetseg_unet_options_set_decoder_block_type(block_type=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_block_type(NULL, NULL);
        check_status(&bad, "unetseg_unet_options_set_decoder_block_type(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_decoder_filters(unetseg_unet_options *options, const int64_t *filters, int32_t n) */
static void test_unet_options_set_decoder_filters(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            const int64_t v_filters[5] = {16, 8, 8, 8, 4};
            prime_last_error();
            int32_t st = unetseg_unet_options_set_decoder_filters(bx->unet_options, v_filters, 5);
            check_status(&bad, "unetseg_unet_options_set_decoder_filters(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        const int64_t v_filters[5] = {16, 8, 8, 8, 4};
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_filters(NULL, v_filters, 5);
        check_status(&bad, "unetseg_unet_options_set_decoder_filters(options=NULL)", st, 0);
    }
    /* filters = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_filters(fx->unet_options, NULL, 5);
        check_status(&bad, "unetseg_unet_options_set_decoder_filters(filters=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_filters(NULL, NULL, 5);
        check_status(&bad, "unetseg_unet_options_set_decoder_filters(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_decoder_use_batchnorm(unetseg_unet_options *options, int32_t use_batchnorm) */
static void test_unet_options_set_decoder_use_batchnorm(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_decoder_use_batchnorm(bx->unet_options, 1);
            check_status(&bad, "unetseg_unet_options_set_decoder_use_batchnorm(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_decoder_use_batchnorm(NULL, 1);
        check_status(&bad, "unetseg_unet_options_set_decoder_use_batchnorm(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_encoder_freeze(unetseg_unet_options *options, int32_t freeze) */
static void test_unet_options_set_encoder_freeze(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_encoder_freeze(bx->unet_options, 0);
            check_status(&bad, "unetseg_unet_options_set_encoder_freeze(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_encoder_freeze(NULL, 0);
        check_status(&bad, "unetseg_unet_options_set_encoder_freeze(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_options_set_seed(unetseg_unet_options *options, uint64_t seed) */
static void test_unet_options_set_seed(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_unet_options_set_seed(bx->unet_options, 42);
            check_status(&bad, "unetseg_unet_options_set_seed(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_options_set_seed(NULL, 42);
        check_status(&bad, "unetseg_unet_options_set_seed(options=NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_encoder_create(const unetseg_unet_options *options, unetseg_model **out) */
static void test_encoder_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_model *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_encoder_create(bx->unet_options, &v_out);
            check_status(&bad, "unetseg_encoder_create(all valid)", st, 1);
            check_out(&bad, "unetseg_encoder_create(all valid)", st, v_out, "out");
            unetseg_model_free(v_out);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        unetseg_model *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_encoder_create(NULL, &v_out);
        check_status(&bad, "unetseg_encoder_create(options=NULL)", st, 0);
        check_out(&bad, "unetseg_encoder_create(options=NULL)", st, v_out, "out");
        unetseg_model_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_encoder_create(fx->unet_options, NULL);
        check_status(&bad, "unetseg_encoder_create(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_encoder_create(NULL, NULL);
        check_status(&bad, "unetseg_encoder_create(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_decoder_append(unetseg_model *model, const unetseg_unet_options *options) */
static void test_decoder_append(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            prime_last_error();
            int32_t st = unetseg_decoder_append(fx_encoder(bx), bx->unet_options);
            check_status(&bad, "unetseg_decoder_append(all valid)", st, 1);
        }
        fixture_free(bx);
    }
    /* model = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_decoder_append(NULL, fx->unet_options);
        check_status(&bad, "unetseg_decoder_append(model=NULL)", st, 0);
    }
    /* options = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_decoder_append(fx_encoder(fx), NULL);
        check_status(&bad, "unetseg_decoder_append(options=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_decoder_append(NULL, NULL);
        check_status(&bad, "unetseg_decoder_append(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

/* int32_t unetseg_unet_create(const unetseg_unet_options *options, unetseg_model **out) */
static void test_unet_create(void **state) {
    fixture *fx = *state;
    int bad = 0;
    (void)fx;
    /* baseline: every argument valid (a fixture of its own) */
    {
        fixture *bx = fixture_new();
        assert_non_null(bx);
        {
            unetseg_model *v_out = NULL;
            prime_last_error();
            int32_t st = unetseg_unet_create(bx->unet_options, &v_out);
            check_status(&bad, "unetseg_unet_create(all valid)", st, 1);
            check_out(&bad, "unetseg_unet_create(all valid)", st, v_out, "out");
            unetseg_model_free(v_out);
        }
        fixture_free(bx);
    }
    /* options = NULL: must fail */
    {
        unetseg_model *v_out = NULL;
        prime_last_error();
        int32_t st = unetseg_unet_create(NULL, &v_out);
        check_status(&bad, "unetseg_unet_create(options=NULL)", st, 0);
        check_out(&bad, "unetseg_unet_create(options=NULL)", st, v_out, "out");
        unetseg_model_free(v_out);
    }
    /* out = NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_create(fx->unet_options, NULL);
        check_status(&bad, "unetseg_unet_create(out=NULL)", st, 0);
    }
    /* every pointer NULL: must fail */
    {
        prime_last_error();
        int32_t st = unetseg_unet_create(NULL, NULL);
        check_status(&bad, "unetseg_unet_create(all pointers NULL)", st, 0);
    }
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_string, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_version_number, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_abi_version, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_runtime_info, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_status_string, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_last_error, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_rank, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_shape, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_numel, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_data, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_data_const, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_copy_from, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_copy_to, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensor_load, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tensors_save, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_layer_kind_name, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_last_error, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_input, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_conv2d, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_conv2d_transpose, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_batchnorm, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_activation, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_zero_padding2d, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_max_pooling2d, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_upsampling2d, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_concatenate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_add, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_dropout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_spatial_dropout2d, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_add_conditional_dropout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_count, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_index, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_name, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_kind, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_region, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_inbound_count, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_inbound, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_output_shape, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_param_count, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_trainable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_trainable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_totals, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_tensor_count, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_tensor_name, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_get, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_set, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_summary, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_forward, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_forward_with_activations, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_save_weights, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_load_weights, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_load, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_clone, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_param_bytes, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_threads, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_kernel_cache_limit, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_set_max_threads, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_workers, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_profiling, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_layer_profile, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_profile, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_seed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_set_mc_dropout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_predict_mc, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_set_tile, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_set_overlap, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_set_margin, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_set_blend, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tile_options_set_batch, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_predict_tiled, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_predict_tiled_mc, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_require, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_exclude, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_glob, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_regex, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_kind, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_region, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_callback, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_callback_ex, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_matcher_parse, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_match, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_kind, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_rate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_mode, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_position, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_suffix, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insert_options_set_allow_no_match, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_model_insert_dropout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_loss, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_class_weights, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_optimizer, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_sgd, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_adam, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_schedule, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_train_options_set_seed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_last_error, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_step, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_evaluate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_recalibrate_bn, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_progress, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_set_learning_rate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_sync_trainable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_set_gradient_hook, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_set_batchnorm_sync_hook, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_gradient_count, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_save_checkpoint, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trainer_load_checkpoint, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_backbone_name, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_free, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_backbone, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_input_shape, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_classes, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_activation, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_decoder_block_type, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_decoder_filters, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_decoder_use_batchnorm, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_encoder_freeze, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_options_set_seed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_encoder_create, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_decoder_append, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unet_create, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
