/**
 * Micrometer metrics for netbuf buffers: {@link io.netbuf.micrometer.NetbufMetrics}. Optional: the
 * core modules do not depend on it.
 */
package io.netbuf.micrometer;
