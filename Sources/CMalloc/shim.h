#ifndef VIDPIPE_CMALLOC_SHIM_H
#define VIDPIPE_CMALLOC_SHIM_H
/* glibc's allocator controls (mallopt, malloc_info), which Swift's Glibc module leaves out. */
#include <malloc.h>
#include <stdio.h>
#endif
