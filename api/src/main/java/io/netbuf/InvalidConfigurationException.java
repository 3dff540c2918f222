package io.netbuf;

/** A value given to netbuf is unusable; thrown before anything on the host changes. */
public final class InvalidConfigurationException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The setting that was refused. */
    private final String setting;
    /** The value given. */
    private final String value;
    /** The rule it broke. */
    private final String rule;

    private InvalidConfigurationException(String setting, String value, String rule) {
        super("invalid " + setting + " " + quote(value) + ": " + rule, null, null, null);
        this.setting = setting;
        this.value = value;
        this.rule = rule;
    }

    /**
     * Creates the exception for one rejected value.
     *
     * @param setting the name of the setting, e.g. {@code "vif"}
     * @param value the rejected value (may be null)
     * @param rule the rule it breaks, phrased so the user knows what to pass instead
     * @return the exception
     */
    public static InvalidConfigurationException of(String setting, Object value, String rule) {
        return new InvalidConfigurationException(setting, value == null ? null : String.valueOf(value), rule);
    }

    /** @return the name of the rejected setting */
    public String setting() {
        return setting;
    }

    /** @return the rejected value as text, or null */
    public String value() {
        return value;
    }

    /** @return the rule the value breaks */
    public String rule() {
        return rule;
    }

    private static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        int shown = Math.min(value.length(), 80);
        for (int i = 0; i < shown; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (value.length() > shown) {
            out.append("...(").append(value.length()).append(" chars)");
        }
        return out.append('"').toString();
    }
}
