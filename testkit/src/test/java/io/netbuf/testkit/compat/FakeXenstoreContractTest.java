package io.netbuf.testkit.compat;

import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.FakeXenstore;

/** The xenstore kit against the in-memory tree. */
class FakeXenstoreContractTest extends XenstoreContract {
    private final FakeXenstore store = new FakeXenstore();

    @Override
    protected Xenstore xenstore() {
        return store;
    }
}
