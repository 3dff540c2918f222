package io.netbuf.impl.engine;

import io.netbuf.testkit.FakeHost;

/** Hosts shaped the way libxl leaves them before it runs the netbuf setup. */
final class EngineFixtures {
    static final String VIF = "vif5.0";
    static final String XENBUS = "/libxl/5/remus/netbuf/0";

    private EngineFixtures() {
    }

    /** A host with domain 5 alive, its xenbus directory made, one vif and {@code ifbs} free IFBs. */
    static FakeHost domain5(int ifbs) {
        return FakeHost.create()
                .withVif(VIF)
                .withIfbs(ifbs)
                .withXenstore("/local/domain/0/name", "Domain-0")
                .withXenstore("/local/domain/5/name", "guest5")
                .withXenstore(XENBUS, "");
    }
}
