/* Model weight files, shared with the trainer's checkpoints (internal). */
#ifndef US_IO_WEIGHTS_H
#define US_IO_WEIGHTS_H

#include "graph/model.h"
#include "io/safetensors.h"

/* Tensors under this prefix hold a checkpoint's optimizer state; loading
 * weights skips them, so a checkpoint is also a weights file. */
#define US_OPTIMIZER_PREFIX "optimizer/"

/* Save the model's parameters and description plus extra tensors and
 * metadata (e.g. optimizer state). */
int32_t us_save_model_file(const unetseg_model *model, const char *path, const us_st_tensor *extra,
                           int32_t n_extra, const char *const *extra_keys,
                           const char *const *extra_values, int32_t n_extra_meta);
/* Load the model's parameters from an open file (all-or-nothing); tensors
 * whose names start with ignore_prefix (may be NULL) are not model tensors. */
int32_t us_load_model_weights(unetseg_model *model, us_st_file *f, int32_t mode,
                              const char *ignore_prefix);
/* unetseg_model_load_weights and unetseg_model_load after their argument
 * checks: the same from a file name (the weights loading ignores
 * US_OPTIMIZER_PREFIX tensors); a model loaded whole is rebuilt from the
 * description in the metadata, then loaded strictly. */
int32_t us_load_weights_file(unetseg_model *model, const char *path, int32_t mode);
int32_t us_model_load_file(const char *path, unetseg_model **out);

#endif
