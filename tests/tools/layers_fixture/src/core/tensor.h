/* Allowed: declares what core defines. */
void unetseg_tensor_free(void *t);
int us_core_helper(void);
