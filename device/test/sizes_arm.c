/* Cross-build probe: the symbol sizes (arm-none-eabi-nm -S) are the struct sizes on the target. */
#include "sd_lzma.h"
#include "sd_sha256.h"
#include "sd_patch.h"

char sizeof_sd_lzma_dec[sizeof(sd_lzma_dec)];
char sizeof_sd_sha256_ctx[sizeof(sd_sha256_ctx)];
char sizeof_sd_patch_ctx[sizeof(sd_patch_ctx)];
char sizeof_sd_patch_header[sizeof(sd_patch_header)];
char sizeof_sd_patch_cursor[sizeof(sd_patch_cursor)];
char sizeof_sd_patch_vmap[sizeof(sd_patch_vmap)];
char sizeof_sd_patch_sig[sizeof(sd_patch_sig)];
