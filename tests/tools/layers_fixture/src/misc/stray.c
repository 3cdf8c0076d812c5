/* Planted: a file outside every layer. */
int us_stray(void) { return 0; }
