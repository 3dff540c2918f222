package io.netbuf.testkit.compat;

import io.netbuf.testkit.xenstored.XenstoredFlavour;

/** The xenstore kit against the native client talking to the testkit xenstored in oxenstored's flavour. */
class NativeClientOxenstoredFlavourContractTest extends NativeClientContractTest {
    @Override
    XenstoredFlavour flavour() {
        return XenstoredFlavour.OXENSTORED;
    }
}
