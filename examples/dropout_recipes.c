/* dropout_recipes: the three dropout recipes users ask for on Keras
 * Unet('resnet34'), done with layer-name predicates, plus the placements from
 * the segmentation_models issue threads, and Monte-Carlo uncertainty with
 * BatchNorm kept in inference mode. See docs/dropout.md.
 *
 *   recipe 1: Dropout(0.3) after every encoder conv except the last one of
 *             each residual unit (conv1 of every unit)
 *   recipe 2: SpatialDropout2D(0.2) at the same places
 *   recipe 3: ConditionalDropout(0.4, ALWAYS) after every unit's conv2
 *             (the residual branch, before the Add): on at inference too */
#include <stdio.h>
#include <stdlib.h>
#include <unetseg.h>

#define CHECK(call)                                                                  \
    do {                                                                             \
        int32_t st_ = (call);                                                        \
        if (st_) {                                                                   \
            fprintf(stderr, "%s: %s: %s\n", #call, unetseg_status_string(st_),       \
                    unetseg_last_error());                                           \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static unetseg_model *new_unet(void) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    CHECK(unetseg_unet_options_create(&o));
    CHECK(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    CHECK(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    return m;
}

/* Insert `kind` at every layer `expr` selects; print what happened. */
static void insert(unetseg_model *m, const char *expr, int32_t kind, double rate, int32_t mode,
                   int32_t position) {
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *o = NULL;
    int32_t n = 0;
    CHECK(unetseg_matcher_parse(expr, &mt));
    CHECK(unetseg_insert_options_create(&o));
    CHECK(unetseg_insert_options_set_kind(o, kind));
    CHECK(unetseg_insert_options_set_rate(o, rate));
    CHECK(unetseg_insert_options_set_mode(o, mode, 0));
    CHECK(unetseg_insert_options_set_position(o, position));
    CHECK(unetseg_model_insert_dropout(m, mt, o, &n));
    printf("  %-45s -> %2d %s layer(s)\n", expr, n, unetseg_layer_kind_name(kind));
    unetseg_insert_options_free(o);
    unetseg_matcher_free(mt);
}

/* What the popular Keras predicates select here (spec §7). */
static void dry_runs(void) {
    const char *exprs[] = {"block", "down", "conv & stage", "conv & stage & region=encoder",
                           "relu1", "glob:relu1"};
    unetseg_model *m = new_unet();
    printf("dry runs on Unet('resnet34'):\n");
    for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
        unetseg_matcher *mt = NULL;
        int32_t count = 0;
        CHECK(unetseg_matcher_parse(exprs[i], &mt));
        int32_t st = unetseg_model_match(m, mt, NULL, 0, &count);
        printf("  %-32s %3d layers%s%s\n", exprs[i], count, st ? "  <- " : "",
               st ? unetseg_last_error() : "");
        unetseg_matcher_free(mt);
    }
    unetseg_model_free(m);
}

int main(void) {
    dry_runs();

    unetseg_model *m = new_unet();
    printf("recipe 1:\n");
    insert(m, "conv1 & stage & region=encoder", UNETSEG_LAYER_DROPOUT, 0.3, 0, UNETSEG_INSERT_AFTER);
    unetseg_model_free(m);

    m = new_unet();
    printf("recipe 2:\n");
    insert(m, "conv1 & stage & region=encoder", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.2, 0,
           UNETSEG_INSERT_AFTER);
    unetseg_model_free(m);

    m = new_unet();
    printf("recipe 3 and the placements from the issue threads:\n");
    insert(m, "glob:stage*_unit*_conv2", UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.4,
           UNETSEG_DROPOUT_ALWAYS, UNETSEG_INSERT_AFTER);
    insert(m, "glob:relu1", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.2, 0, UNETSEG_INSERT_AFTER);
    insert(m, "glob:final_conv", UNETSEG_LAYER_SPATIAL_DROPOUT2D, 0.2, 0, UNETSEG_INSERT_BEFORE);
    insert(m, "kind=conv2d & region=decoder", UNETSEG_LAYER_CONDITIONAL_DROPOUT, 0.1,
           UNETSEG_DROPOUT_TRAINING, UNETSEG_INSERT_AFTER);

    /* Monte-Carlo uncertainty: dropout on, BatchNorm on moving statistics */
    int64_t shape[4] = {1, 64, 64, 3};
    unetseg_tensor *x = NULL, *mean = NULL, *std = NULL, *entropy = NULL;
    CHECK(unetseg_tensor_create(4, shape, &x));
    float *px = unetseg_tensor_data(x);
    for (int64_t i = 0; i < 64 * 64 * 3; i++) px[i] = (float)((i * 37) % 256) / 255.0f;
    CHECK(unetseg_model_predict_mc(m, x, 8, 2024, &mean, &std, &entropy));
    float lo = 1e30f, hi = 0;
    for (int64_t i = 0; i < 64 * 64; i++) {
        float s = unetseg_tensor_data(std)[i];
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    int32_t layers = 0;
    CHECK(unetseg_model_layer_count(m, &layers));
    printf("MC dropout, 8 samples on a %d-layer model: per-pixel std in [%.4f, %.4f]\n", layers, lo,
           hi);
    unetseg_tensor_free(x);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_tensor_free(entropy);
    unetseg_model_free(m);
    return 0;
}
