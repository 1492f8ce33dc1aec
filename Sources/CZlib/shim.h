#include <zlib.h>
#include <stddef.h>
#include <stdint.h>
