package io.netbuf.impl.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IprouteJsonTest {
    @Test
    void parsesEveryValueType() {
        Object value = IprouteJson.parse(
                " {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
        Map<String, Object> object = IprouteJson.object(value, "doc");
        assertEquals(List.of("a", "b", "c"), List.copyOf(object.keySet()));
        assertEquals(Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null, "x"), object.get("a"));
        assertEquals(Map.of(), object.get("b"));
        assertEquals(List.of(), object.get("c"));
    }

    @Test
    void decodesEscapes() {
        assertEquals("q\"b\\s/\b\f\n\r\té€", IprouteJson.parse("\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\""));
    }

    @Test
    void keepsIntegersExactAndFallsBackToDoubleWhenTooLarge() {
        assertEquals(18446744073709551615.0, IprouteJson.parse("18446744073709551615"));
        assertEquals(9223372036854775807L, IprouteJson.parse("9223372036854775807"));
        assertEquals(0L, IprouteJson.parse("0"));
        assertEquals(-0.5, IprouteJson.parse("-0.5"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "1e", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "[1] 2", "{1:2}", "\"a\nb\"", "[1 2]", "{\"a\":1 \"b\":2}"})
    void rejectsMalformedInput(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IprouteJson.parse(text));
        assertTrue(e.getMessage().startsWith("malformed JSON at offset "), e.getMessage());
    }

    @Test
    void rejectsNestingBeyondTheLimitInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(IprouteJson.MAX_DEPTH + 2) + "]".repeat(IprouteJson.MAX_DEPTH + 2);
        assertThrows(IllegalArgumentException.class, () -> IprouteJson.parse(deep));
        String ok = "[".repeat(IprouteJson.MAX_DEPTH) + "]".repeat(IprouteJson.MAX_DEPTH);
        assertTrue(IprouteJson.parse(ok) instanceof List);
    }

    @Test
    void accessorsToleratesMissingOrMistypedMembers() {
        Map<String, Object> object = IprouteJson.object(
                IprouteJson.parse("{\"s\":\"v\",\"n\":5,\"d\":1.5,\"o\":{\"k\":1},\"a\":[1]}"), "doc");
        assertEquals("v", IprouteJson.string(object, "s"));
        assertNull(IprouteJson.string(object, "n"));
        assertEquals(5, IprouteJson.number(object, "n", -1));
        assertEquals(-1, IprouteJson.number(object, "d", -1));
        assertEquals(-1, IprouteJson.number(object, "missing", -1));
        assertEquals(Map.of("k", 1L), IprouteJson.child(object, "o"));
        assertEquals(Map.of(), IprouteJson.child(object, "s"));
        assertEquals(List.of(1L), IprouteJson.array(object, "a"));
        assertEquals(List.of(), IprouteJson.array(object, "o"));
    }

    @Test
    void objectsRequiresAnArrayOfObjects() {
        assertEquals(2, IprouteJson.objects(IprouteJson.parse("[{},{\"a\":1}]"), "x").size());
        assertThrows(IllegalArgumentException.class, () -> IprouteJson.objects(IprouteJson.parse("{}"), "x"));
        assertThrows(IllegalArgumentException.class, () -> IprouteJson.objects(IprouteJson.parse("[1]"), "x"));
    }
}
