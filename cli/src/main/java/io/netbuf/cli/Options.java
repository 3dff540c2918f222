package io.netbuf.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's options and how to parse them: {@code --name value}, {@code --name=value}, flags,
 * positional arguments, {@code --} to end the options; {@code -h} and {@code --help} are always
 * known. Immutable once built; {@link #parse} checks everything and throws {@link UsageException}.
 */
public final class Options {
    private final Map<String, Option> byName = new LinkedHashMap<>();
    private String positionalName;
    private String positionalHelp;
    private int maxPositionals;

    private record Option(String name, String valueName, String help) {
        boolean takesValue() {
            return valueName != null;
        }
    }

    /** Starts an empty set (with {@code --help}). */
    public Options() {
        byName.put("help", new Option("help", null, "show this help and exit"));
    }

    /**
     * Declares a flag.
     *
     * @param name the long name without dashes
     * @param help one line
     * @return this
     */
    public Options flag(String name, String help) {
        return add(new Option(name, null, help));
    }

    /**
     * Declares an option with a value.
     *
     * @param name the long name without dashes
     * @param valueName what the value is, for the help, e.g. {@code N}
     * @param help one line
     * @return this
     */
    public Options option(String name, String valueName, String help) {
        return add(new Option(name, valueName, help));
    }

    /**
     * Allows positional arguments.
     *
     * @param name what they are, for the help
     * @param max how many at most
     * @param help one line
     * @return this
     */
    public Options positionals(String name, int max, String help) {
        this.positionalName = name;
        this.positionalHelp = help;
        this.maxPositionals = max;
        return this;
    }

    private Options add(Option option) {
        if (byName.putIfAbsent(option.name(), option) != null) {
            throw new IllegalArgumentException("option --" + option.name() + " declared twice");
        }
        return this;
    }

    /**
     * @param args a command's arguments
     * @return whether they ask for help ({@code -h} or {@code --help} before any {@code --}), as
     *     {@link Parsed#help()} would say; {@link Cli} answers those for every command
     */
    public static boolean asksForHelp(List<String> args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("-h") || arg.equals("--help")) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param args the command's arguments
     * @return what they say
     * @throws UsageException on an unknown option, a missing value, a value given to a flag, or too
     *     many positional arguments
     */
    public Parsed parse(List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> positionals = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
                positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (arg.equals("-h")) {
                values.put("help", "");
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new UsageException("unknown option " + arg);
            }
            int eq = arg.indexOf('=');
            String name = arg.substring(2, eq < 0 ? arg.length() : eq);
            Option option = byName.get(name);
            if (option == null) {
                throw new UsageException("unknown option --" + name);
            }
            String value;
            if (!option.takesValue()) {
                if (eq >= 0) {
                    throw new UsageException("option --" + name + " takes no value");
                }
                value = "";
            } else if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new UsageException("option --" + name + " needs a value (" + option.valueName() + ")");
            }
            if (values.put(name, value) != null) {
                throw new UsageException("option --" + name + " given twice");
            }
        }
        if (!values.containsKey("help") && positionals.size() > maxPositionals) {
            throw new UsageException(maxPositionals == 0 ? "unexpected argument " + positionals.get(0)
                    : "too many arguments: " + String.join(" ", positionals));
        }
        return new Parsed(Collections.unmodifiableMap(values), List.copyOf(positionals));
    }

    /** @return the option list for a help text: one aligned line per option */
    public String describe() {
        List<String[]> rows = new ArrayList<>();
        for (Option o : byName.values()) {
            rows.add(new String[] {(o.name().equals("help") ? "-h, " : "    ") + "--" + o.name()
                    + (o.takesValue() ? " " + o.valueName() : ""), o.help()});
        }
        if (positionalName != null) {
            rows.add(0, new String[] {positionalName, positionalHelp});
        }
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            out.append("  ").append(row[0]).append(" ".repeat(width - row[0].length() + 2)).append(row[1])
                    .append('\n');
        }
        return out.toString();
    }

    /**
     * What a command line said.
     *
     * @param values option values by name (flags map to the empty string)
     * @param positionals the positional arguments, in order
     */
    public record Parsed(Map<String, String> values, List<String> positionals) {
        /**
         * @param name a flag's name
         * @return whether it was given
         */
        public boolean has(String name) {
            return values.containsKey(name);
        }

        /** @return whether help was asked for */
        public boolean help() {
            return has("help");
        }

        /**
         * @param name an option's name
         * @param fallback the value when it was not given
         * @param min the least allowed value
         * @param max the greatest allowed value
         * @return the option's value
         * @throws UsageException if it is not a whole number in range
         */
        public long number(String name, long fallback, long min, long max) {
            String value = values.get(name);
            if (value == null) {
                return fallback;
            }
            long n;
            try {
                n = Long.parseLong(value.strip().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be a whole number, not '" + value + "'");
            }
            if (n < min || n > max) {
                throw new UsageException("--" + name + " must be between " + min + " and " + max + ", not " + n);
            }
            return n;
        }
    }
}
