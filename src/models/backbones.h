/* The backbone table: one row per encoder the builders know (internal). */
#ifndef US_MODELS_BACKBONES_H
#define US_MODELS_BACKBONES_H

#include <stddef.h>
#include <stdint.h>

#define US_BACKBONE_STAGES 4
#define US_BACKBONE_SKIPS 4

struct us_build;
/* Append unit `unit` (1-based) of stage `stage` (1-based) with `filters`
 * output channels after layer `input`; its output layer's name goes to
 * `output` (64 bytes). */
typedef int32_t (*us_unit_builder)(struct us_build *b, int stage, int unit, int64_t filters,
                                   const char *input, char *output);

typedef struct us_backbone {
    const char *name;                    /* "resnet34": Unet('resnet34') */
    int32_t units[US_BACKBONE_STAGES];   /* units per stage */
    int64_t filters[US_BACKBONE_STAGES]; /* feature channels of each stage */
    us_unit_builder unit;
    const char *features; /* the encoder's last layer: the decoder's input */
    /* the skip connections, deepest (decoder block 0) first */
    const char *skips[US_BACKBONE_SKIPS];
} us_backbone;

/* Backbone `index` (0, 1, ...), or NULL past the last. */
const us_backbone *us_backbone_get(int32_t index);
/* The backbone called `name`, or NULL. */
const us_backbone *us_backbone_find(const char *name);
/* Their names for a message: "resnet18 or resnet34" (truncated to size). */
void us_backbone_list(char *out, size_t size);

#endif
