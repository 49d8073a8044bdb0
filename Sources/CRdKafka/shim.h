#ifndef VIDPIPE_CRDKAFKA_SHIM_H
#define VIDPIPE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif
