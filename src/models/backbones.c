/* The backbone table: the ResNets of classification_models, with the skip
 * connections segmentation_models' Unet takes from them (spec sections 1, 2.2). */
#include "models/backbones.h"

#include <stdio.h>
#include <string.h>

#include "models/builder.h"

#define RESNET_FILTERS {64, 128, 256, 512}
#define RESNET_SKIPS {"stage4_unit1_relu1", "stage3_unit1_relu1", "stage2_unit1_relu1", "relu0"}

static const us_backbone BACKBONES[] = {
    {"resnet18", {2, 2, 2, 2}, RESNET_FILTERS, us_resnet_basic_unit, "relu1", RESNET_SKIPS},
    {"resnet34", {3, 4, 6, 3}, RESNET_FILTERS, us_resnet_basic_unit, "relu1", RESNET_SKIPS},
};

const us_backbone *us_backbone_get(int32_t index) {
    if (index < 0 || index >= (int32_t)(sizeof BACKBONES / sizeof *BACKBONES)) return NULL;
    return &BACKBONES[index];
}

const us_backbone *us_backbone_find(const char *name) {
    for (int32_t i = 0; us_backbone_get(i); i++)
        if (strcmp(BACKBONES[i].name, name) == 0) return &BACKBONES[i];
    return NULL;
}

void us_backbone_list(char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (int32_t i = 0; us_backbone_get(i) && used < size; i++) {
        const char *sep = i == 0 ? "" : us_backbone_get(i + 1) ? ", " : " or ";
        used += (size_t)snprintf(out + used, size - used, "%s%s", sep, BACKBONES[i].name);
    }
}
