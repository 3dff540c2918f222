package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {
    private final Options options = new Options()
            .option("epochs", "N", "how many")
            .flag("json", "machine output")
            .positionals("FILE", 1, "a file");

    @Test
    void parsesValuesInBothFormsFlagsAndPositionals() {
        Options.Parsed p = options.parse(List.of("--epochs", "5", "--json", "a.txt"));
        assertEquals(Map.of("epochs", "5", "json", ""), p.values());
        assertEquals(List.of("a.txt"), p.positionals());
        assertEquals(5, p.number("epochs", 1, 1, 10));
        assertEquals("7", options.parse(List.of("--epochs=7")).values().get("epochs"));
        assertFalse(options.parse(List.of()).has("json"));
        assertEquals(3, options.parse(List.of()).number("epochs", 3, 1, 10), "fallback when absent");
    }

    @Test
    void doubleDashEndsOptions() {
        Options.Parsed p = options.parse(List.of("--", "--json"));
        assertFalse(p.has("json"));
        assertEquals(List.of("--json"), p.positionals());
    }

    @Test
    void helpIsAlwaysKnownAndOverridesArgumentCounts() {
        assertTrue(options.parse(List.of("-h")).help());
        assertTrue(options.parse(List.of("a", "b", "c", "--help")).help());
    }

    @Test
    void asksForHelpAgreesWithTheParserAndStopsAtDoubleDash() {
        for (List<String> args : List.of(List.of("-h"), List.of("a", "b", "c", "--help"))) {
            assertTrue(options.parse(args).help() && Options.asksForHelp(args), args.toString());
        }
        assertFalse(Options.asksForHelp(List.of("a")));
        assertFalse(Options.asksForHelp(List.of("a", "--", "-h")), "after --, -h is an argument");
        assertEquals(List.of("-h"), options.parse(List.of("--", "-h")).positionals());
    }

    @Test
    void rejectsWhatIsWrongWithOneReadableMessage() {
        assertEquals("unknown option --nope", reject("--nope"));
        assertEquals("unknown option -x", reject("-x"));
        assertEquals("option --epochs needs a value (N)", reject("--epochs"));
        assertEquals("option --json takes no value", reject("--json=yes"));
        assertEquals("option --json given twice", reject("--json", "--json"));
        assertEquals("too many arguments: a b", reject("a", "b"));
        assertEquals("unexpected argument x",
                assertThrows(UsageException.class, () -> new Options().parse(List.of("x"))).getMessage());
    }

    @Test
    void numbersAreCheckedForFormAndRange() {
        assertEquals("--epochs must be a whole number, not 'ten'", number("ten"));
        assertEquals("--epochs must be between 1 and 10, not 0", number("0"));
        assertEquals("--epochs must be between 1 and 10, not 11", number("11"));
    }

    @Test
    void describesEveryOptionAligned() {
        assertEquals("  FILE            a file\n"
                + "  -h, --help      show this help and exit\n"
                + "      --epochs N  how many\n"
                + "      --json      machine output\n", options.describe());
    }

    @Test
    void declaringAnOptionTwiceIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> new Options().flag("a", "x").flag("a", "y"));
    }

    private String reject(String... args) {
        return assertThrows(UsageException.class, () -> options.parse(List.of(args))).getMessage();
    }

    private String number(String value) {
        Options.Parsed p = options.parse(List.of("--epochs", value));
        return assertThrows(UsageException.class, () -> p.number("epochs", 1, 1, 10)).getMessage();
    }
}
