package io.netbuf.spi;

/** A kernel feature output buffering depends on, with the module that provides it. */
public enum KernelFeature {
    /** Intermediate Functional Block devices. */
    IFB("ifb", "CONFIG_IFB", "IFB devices"),
    /** The ingress qdisc. */
    INGRESS("sch_ingress", "CONFIG_NET_SCH_INGRESS", "the ingress qdisc"),
    /** The u32 classifier. */
    U32("cls_u32", "CONFIG_NET_CLS_U32", "the u32 classifier"),
    /** The mirred action (redirect). */
    MIRRED("act_mirred", "CONFIG_NET_ACT_MIRRED", "the mirred action"),
    /** The plug qdisc. */
    PLUG("sch_plug", "CONFIG_NET_SCH_PLUG", "the plug qdisc");

    private final String module;
    private final String configOption;
    private final String description;

    KernelFeature(String module, String configOption, String description) {
        this.module = module;
        this.configOption = configOption;
        this.description = description;
    }

    /** @return the kernel module that provides it, e.g. {@code sch_plug} */
    public String module() {
        return module;
    }

    /** @return the kernel configuration option, e.g. {@code CONFIG_NET_SCH_PLUG} */
    public String configOption() {
        return configOption;
    }

    /** @return a human description */
    public String description() {
        return description;
    }
}
