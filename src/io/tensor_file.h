/* Plain tensors in safetensors files (internal). */
#ifndef US_IO_TENSOR_FILE_H
#define US_IO_TENSOR_FILE_H

#include "unetseg.h"

/* unetseg_tensor_load and unetseg_tensors_save after their argument checks
 * (the names and tensors of the arrays are still checked here). */
int32_t us_tensor_load_file(const char *path, const char *name, unetseg_tensor **out);
int32_t us_tensors_save_file(const char *path, const char *const *names,
                             const unetseg_tensor *const *tensors, int32_t n);

#endif
