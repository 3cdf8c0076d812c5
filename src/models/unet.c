/* The Unet()/encoder/decoder builds: append the layers, then mark regions,
 * initialise and freeze as Keras does, and describe the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "models/builder.h"
#include "models/init.h"

/* Drop layers appended after `keep` (builders are all-or-nothing). */
static void truncate_model(unetseg_model *m, int32_t keep) {
    while (m->n_layers > keep) us_layer_clear(&m->layers[--m->n_layers]);
    us_model_invalidate(m);
}

static void finish_layers(unetseg_model *m, int32_t from, const unetseg_unet_options *o,
                          int32_t region) {
    for (int32_t i = from; i < m->n_layers; i++) {
        us_layer *l = &m->layers[i];
        const int glorot = l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE ||
                           strcmp(l->name, "final_conv") == 0;
        l->region = region;
        if (region == UNETSEG_REGION_DECODER &&
            (strcmp(l->name, "final_conv") == 0 || l->kind == UNETSEG_LAYER_ACTIVATION) &&
            i >= m->n_layers - 2)
            l->region = UNETSEG_REGION_HEAD;
        us_init_layer(m, i, glorot ? US_INIT_GLOROT_UNIFORM : US_INIT_HE_UNIFORM, o->seed);
        /* encoder_freeze: every backbone layer but BatchNormalization */
        if (region == UNETSEG_REGION_ENCODER && o->encoder_freeze &&
            l->kind != UNETSEG_LAYER_BATCHNORM)
            l->trainable = 0;
    }
}

static int32_t describe(unetseg_model *m, const unetseg_unet_options *o, int with_decoder) {
    char filters[256] = "";
    size_t used = 0;
    for (int32_t i = 0; i < o->n_decoder_filters; i++)
        used += (size_t)snprintf(filters + used, sizeof filters - used, "%s%lld", i ? ", " : "",
                                 (long long)o->decoder_filters[i]);
    int32_t n_backbone = 0;
    for (int32_t i = 0; i < m->n_layers; i++) n_backbone += m->layers[i].region == UNETSEG_REGION_ENCODER;
    char text[1024];
    if (with_decoder)
        snprintf(text, sizeof text,
                 "Unet('%s') {\"backbone\": \"%s\", \"classes\": %lld, \"activation\": \"%s\", "
                 "\"decoder_block_type\": \"%s\", \"decoder_use_batchnorm\": %s, "
                 "\"decoder_filters\": [%s], \"name_style\": \"tf.keras\", "
                 "\"n_backbone_layers\": %d}",
                 o->backbone, o->backbone, (long long)o->classes,
                 us_activation_layer_name(o->activation), o->transpose ? "transpose" : "upsampling",
                 o->decoder_use_batchnorm ? "true" : "false", filters, n_backbone);
    else
        snprintf(text, sizeof text,
                 "ResNet('%s', include_top=False) {\"backbone\": \"%s\", \"name_style\": "
                 "\"tf.keras\", \"n_backbone_layers\": %d}",
                 o->backbone, o->backbone, n_backbone);
    char *copy = us_strdup(text);
    if (!copy) return us_fail(UNETSEG_E_NOMEM, "out of memory");
    free(m->description);
    m->description = copy;
    m->n_backbone_layers = n_backbone;
    us_model_invalidate(m);
    return UNETSEG_OK;
}

int32_t us_encoder_new(const unetseg_unet_options *options, unetseg_model **out) {
    unetseg_model *m = NULL;
    *out = NULL;
    int32_t st = us_model_new(&m);
    us_build b = {.m = m};
    if (!st) st = us_build_resnet(&b, us_backbone_find(options->backbone), options);
    if (!st) {
        finish_layers(m, 0, options, UNETSEG_REGION_ENCODER);
        m->input_multiple = 32;
        st = describe(m, options, 0);
    }
    if (st) {
        us_model_free(m);
        return st;
    }
    *out = m;
    return UNETSEG_OK;
}

int32_t us_decoder_append(unetseg_model *model, const unetseg_unet_options *options) {
    if (us_model_find(model, "final_conv") >= 0)
        return us_fail(UNETSEG_E_STATE, "decoder_append: the model already has a decoder head");
    const us_backbone *bb = us_backbone_find(options->backbone);
    /* the decoder's input, then its skip connections */
    for (int32_t i = -1; i < US_BACKBONE_SKIPS; i++) {
        const char *needed = i < 0 ? bb->features : bb->skips[i];
        if (us_model_find(model, needed) < 0)
            return us_fail(UNETSEG_E_GRAPH,
                           "decoder_append: the encoder has no layer '%s' (build it with "
                           "unetseg_encoder_create)",
                           needed);
    }
    const int32_t keep = model->n_layers;
    us_build b = {.m = model};
    int32_t st = us_build_decoder(&b, bb, options);
    if (!st) {
        finish_layers(model, keep, options, UNETSEG_REGION_DECODER);
        model->input_multiple = 32;
        st = describe(model, options, 1);
    }
    if (st) truncate_model(model, keep);
    return st;
}

int32_t us_unet_new(const unetseg_unet_options *options, unetseg_model **out) {
    int32_t st = us_encoder_new(options, out);
    if (!st) st = us_decoder_append(*out, options);
    if (st) {
        us_model_free(*out);
        *out = NULL;
    }
    return st;
}
