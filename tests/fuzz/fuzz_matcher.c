/* libFuzzer target: the matcher text grammar (unetseg_matcher_parse) on the
 * bytes as a NUL-terminated string, then a dry run (unetseg_model_match)
 * against a Unet('resnet18') built once at 64x64x3. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unetseg.h"

static unetseg_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    unetseg_unet_options *o = NULL;
    if (unetseg_unet_options_create(&o) || unetseg_unet_options_set_backbone(o, "resnet18") ||
        unetseg_unet_options_set_input_shape(o, 64, 64, 3) || unetseg_unet_create(o, &model))
        abort();
    unetseg_unet_options_free(o);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    unetseg_matcher *m = NULL;
    int32_t st = unetseg_matcher_parse(text, &m);
    if (st == UNETSEG_OK) {
        int32_t idx[512], count = -1;
        st = unetseg_model_match(model, m, idx, 512, &count);
        if (st != UNETSEG_OK && st != UNETSEG_E_NO_MATCH) abort();
        if (count < 0 || (st == UNETSEG_E_NO_MATCH) != (count == 0)) abort();
    } else if (m || (st != UNETSEG_E_SYNTAX && st != UNETSEG_E_NOMEM)) {
        abort(); /* a failed parse returns SYNTAX (or NOMEM) and no matcher */
    }
    unetseg_matcher_free(m);
    free(text);
    return 0;
}
