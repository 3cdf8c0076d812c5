/* The Keras model.summary() table as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/tensor.h"
#include "core/text.h"
#include "graph/layer_kinds.h"
#include "graph/model.h"

/* 24456154 -> "24,456,154" */
static void format_thousands(int64_t v, char *out, size_t size) {
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < size) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o < size ? o : size - 1] = '\0';
}

static const char RULE[] =
    "----------------------------------------------------------------------------------------"
    "------------------------------------------";

int32_t us_model_summary(unetseg_model *model, const char **text) {
    if (model->summary_text) {
        *text = model->summary_text;
        return UNETSEG_OK;
    }
    us_text b = {0};
    us_text_printf(&b, "%s\n", model->description ? model->description : "Model");
    us_text_printf(&b, "%-5s%-31s%-21s%-28s%7s  %s\n", "#", "Layer (name)", "type", "Output Shape",
              "Param #", "Connected to");
    us_text_printf(&b, "%s\n", RULE);
    int32_t n_encoder = 0;
    for (int32_t i = 0; i < model->n_layers; i++) {
        const us_layer *l = &model->layers[i];
        char shape[96];
        int64_t params = 0;
        us_format_shape(l->shape, 4, shape, sizeof shape);
        for (int32_t p = 0; p < l->n_params; p++) params += l->params[p].value->numel;
        n_encoder += l->region == UNETSEG_REGION_ENCODER;
        us_text_printf(&b, "%-5d%-31s%-21s%-25s%10lld  ", i, l->name,
                  us_layer_kind_get(l->kind)->keras_class, shape, (long long)params);
        for (int32_t j = 0; j < l->n_in; j++)
            us_text_printf(&b, "%s%s", j ? ", " : "",
                      model->layers[us_model_index_of_id(model, l->in_ids[j])].name);
        us_text_printf(&b, "\n");
    }
    us_text_printf(&b, "%s\n", RULE);
    int64_t total, trainable;
    us_model_param_totals(model, &total, &trainable);
    const int64_t frozen = total - trainable;
    char t1[32], t2[32], t3[32];
    format_thousands(total, t1, sizeof t1);
    format_thousands(trainable, t2, sizeof t2);
    format_thousands(frozen, t3, sizeof t3);
    us_text_printf(&b, "Layers (incl. InputLayer '%s'): %d", model->n_layers ? model->layers[0].name : "",
              model->n_layers);
    if (model->description)
        us_text_printf(&b, "   (backbone %d, decoder+head %d)", n_encoder, model->n_layers - n_encoder);
    us_text_printf(&b, "\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n", t1, t2,
              t3);
    if (b.failed) {
        free(b.data);
        return us_fail(UNETSEG_E_NOMEM, "model_summary: out of memory");
    }
    model->summary_text = b.data;
    *text = b.data;
    return UNETSEG_OK;
}
