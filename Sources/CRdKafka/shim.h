#ifndef VIDPIPE_CRDKAFKA_SHIM_H
#define VIDPIPE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>

/// RD_KAFKA_PARTITION_UA: a cast macro the Swift importer cannot see.
static inline int32_t vp_rd_kafka_partition_unassigned(void) { return RD_KAFKA_PARTITION_UA; }

/// Produces one message through the variadic rd_kafka_producev. Key, value and header
/// bytes are copied (RD_KAFKA_MSG_F_COPY). On success librdkafka owns `headers`; on
/// failure they stay the caller's to destroy. `opaque` comes back in the delivery report.
static inline rd_kafka_resp_err_t vp_rd_kafka_produce(
    rd_kafka_t *rk, const char *topic,
    const void *key, size_t key_len,
    const void *value, size_t value_len,
    rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(rk,
                             RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}
#endif
