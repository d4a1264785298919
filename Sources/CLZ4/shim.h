#ifndef SILVERLEDGER_CLZ4_SHIM_H
#define SILVERLEDGER_CLZ4_SHIM_H
#include <lz4.h>
#endif
