/** netbuf's public API: the entry point, the handle, typed exceptions and the host SPI. */
module io.netbuf.api {
    requires org.slf4j;

    exports io.netbuf;
    exports io.netbuf.event;
    exports io.netbuf.spi;

    uses io.netbuf.spi.BufferEngine;
    uses io.netbuf.spi.HostProvider;
}
