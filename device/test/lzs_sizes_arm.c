/* Cross-build probe for codec 2: the symbol sizes (arm-none-eabi-nm -S) are the sizes on the target. */
#include "sd_lzs.h"

char sizeof_sd_lzs_dec[sizeof(sd_lzs_dec)];
char sd_lzs_work_w10_lc1[SD_LZS_WORK_SIZE(0x0au, 0xFFFFFFFFu)];
