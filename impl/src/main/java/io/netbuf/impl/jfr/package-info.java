/**
 * JDK Flight Recorder events for buffers (checkpoint, commit, release-indefinitely, limit change,
 * attach, close, drops, failures): no dependency, and nothing is allocated while no recording runs.
 */
package io.netbuf.impl.jfr;
